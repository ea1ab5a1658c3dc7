"""Receipts: a paper-width-independent model and the templates the kiosk prints (pure: no devices, no UI)."""
