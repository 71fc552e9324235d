"""Pure domain core: invoices, money, AFIP codes, CUIT, QR payloads, catalog. No I/O."""
