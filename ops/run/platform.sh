#!/usr/bin/env bash
# `make run`: the platform on this machine, in the foreground.
#   1. seeds a demo shop once (bundled catalog, the sample invoices extracted and saved, synthetic sales, CPI):
#      `minimarket demo seed` when the command exists, else the same steps with the existing commands;
#      with MINIMARKET_DEMO_CHAIN=NAME also a demo chain of 3 shops (`minimarket demo seed --chain NAME`);
#   2. trains the small demand model when the registry has no champion (bounded: 40 products, 400 days);
#   3. starts the API (port 3000) and, when `make dashboards` exists, the dashboards (port 8866),
#      prints their URLs and a manager token; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=.venv/bin
MM="$BIN/minimarket"
STATE="${MINIMARKET_VAR_DIR:-var}"
API_PORT="${MINIMARKET_API_PORT:-3000}"
DEMO="$STATE/demo"
mkdir -p "$DEMO"

say() { printf '\033[1m>> %s\033[0m\n' "$*" >&2; }

if [ ! -f "$DEMO/.seeded" ]; then
  if "$MM" demo --help >/dev/null 2>&1; then
    say "sembrando el comercio de demostración (minimarket demo seed)"
    "$MM" demo seed
    if [ -n "${MINIMARKET_DEMO_CHAIN:-}" ]; then
      say "sembrando la cadena de demostración «$MINIMARKET_DEMO_CHAIN» (3 comercios)"
      "$MM" demo seed --chain "$MINIMARKET_DEMO_CHAIN" --invoices 400 --no-samples
    fi
  else
    say "sembrando el comercio de demostración: catálogo, facturas de muestra, ventas sintéticas"
    "$MM" db upgrade >/dev/null
    "$MM" catalog import >/dev/null
    "$MM" extract data/samples --save --jsonl --no-progress >"$DEMO/samples.jsonl" || true
    "$MM" demand synth --out "$DEMO/ventas.csv" --days 400 --skus 40 >/dev/null
    "$MM" sales import "$DEMO/ventas.csv" --qty-col quantity --price-col unit_price >/dev/null
  fi
  touch "$DEMO/.seeded"
fi

has_champion() {
  "$MM" models list --json 2>/dev/null | "$BIN/python" -c '
import json, sys
models = {m["name"]: m for m in json.load(sys.stdin)}
sys.exit(0 if "champion" in models.get(sys.argv[1], {}).get("aliases", {}) else 1)' "$1"
}
if ! has_champion demand-forecaster; then
  say "entrenando el modelo de demanda (sin campeón en el registro; unos minutos)"
  "$MM" demand train --horizon 28 >"$DEMO/demand-train.json" || say "no se pudo entrenar: se usa la línea de base"
fi

pids=()
descendants() {  # every process under $1 (BentoML's workers run in sessions of their own)
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}
stop() {
  trap - INT TERM EXIT
  local tree=() pid
  for pid in "${pids[@]}"; do tree+=("$pid" $(descendants "$pid")); done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 10); do
    alive=0
    for pid in "${tree[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 1
  done
  for pid in "${tree[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM
trap stop EXIT

"$MM" serve --port "$API_PORT" &
pids+=("$!")
for _ in $(seq 1 240); do
  curl -fsS "http://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1 && break
  sleep 1
done

if make -n dashboards >/dev/null 2>&1; then
  make --no-print-directory dashboards &
  pids+=("$!")
  DASHBOARDS="http://127.0.0.1:8866/"
else
  DASHBOARDS="(todavía no hay tableros: make dashboards)"
fi

TOKEN="$("$MM" token create --role manager --ttl 7 2>/dev/null | tail -1)"
cat >&2 <<INFO

  API          http://127.0.0.1:$API_PORT/api/v1/docs   (OpenAPI; /metrics, /livez, /readyz)
  Tableros     $DASHBOARDS
  Token de encargado (7 días):
$TOKEN

  curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$API_PORT/api/v1/invoices
  Ctrl-C detiene todo.

INFO
wait -n "${pids[@]}" || true
