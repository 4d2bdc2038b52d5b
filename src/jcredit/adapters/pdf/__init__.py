"""PDF documents (notices, certificates, reports) with embedded Japanese fonts."""
