"""Fixtures for the reliability tests: ``pg_database`` (a fresh PostgreSQL database per test) now lives in
tests/conftest.py, shared with the service tests of several replicas."""
