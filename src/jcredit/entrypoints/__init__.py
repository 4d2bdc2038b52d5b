"""Entrypoints: HTTP API, web UI, CLI. Each maps domain errors in exactly one place."""
