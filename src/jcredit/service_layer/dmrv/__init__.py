"""Services of the digital creation system: batch ingestion (one pipeline for HTTP, MQTT and
file import) and the queries of sites and their readings."""
