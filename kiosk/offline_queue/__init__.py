"""The durable outbox: transactions the kiosk accepted, stored in SQLite and forwarded to the centre
exactly once in effect. Built in issue #6; nothing here yet is used by the kiosk."""
