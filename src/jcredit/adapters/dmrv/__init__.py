"""Adapters of the digital creation system: Ed25519 signatures, solar physics (pvlib), the
raw batch store and the Parquet/DuckDB readings store, the MQTT client."""
