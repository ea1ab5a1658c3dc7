"""Kiosk for Housing Provident Fund centres."""

__version__ = "0.1.0"
