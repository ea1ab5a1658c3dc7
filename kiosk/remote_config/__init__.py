"""Remote configuration: what operators change from their desk, as signed bundles the kiosk verifies,
stores atomically, applies safely and rolls back when the kiosk is unhealthy afterwards."""
