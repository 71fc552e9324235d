#!/bin/sh
# Run once by the postgres image on an empty data folder: MLflow's own user and database, with the password
# from MLFLOW_DB_PASSWORD (.env). The shop's database and user come from POSTGRES_DB / POSTGRES_USER.
set -eu
: "${MLFLOW_DB_PASSWORD:?set MLFLOW_DB_PASSWORD in .env}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=pw="$MLFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE mlflow LOGIN PASSWORD :'pw';
CREATE DATABASE mlflow OWNER mlflow;
SQL
