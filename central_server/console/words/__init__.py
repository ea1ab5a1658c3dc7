"""The console's words, one module per group of pages (see central_server/console/i18n.py)."""
