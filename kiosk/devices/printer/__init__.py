"""ESC/POS receipt printers: the Chinese text path, layout, status codec, driver, virtual printer, CLI."""
