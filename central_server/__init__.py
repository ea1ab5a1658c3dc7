"""Reference central API server for the HPF kiosk (synthetic data only); see docs/central-api.md."""
