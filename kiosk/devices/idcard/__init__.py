"""Resident ID card reader (SAM protocol, GA/T 467): codec, card, driver, emulator."""
