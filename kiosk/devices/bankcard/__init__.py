"""Bank card chip reader (PBOC / EMV over PC/SC): TLV codec, read flow, drivers, virtual cards."""
