"""Hall staff at the kiosks: the roster kiosks check a maintenance sign-in against, and the audit trail of
what staff did there (docs/staff.md)."""
