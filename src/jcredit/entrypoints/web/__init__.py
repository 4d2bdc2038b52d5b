"""Server-rendered web UI (Jinja2 + htmx), Japanese first with an English switch."""
