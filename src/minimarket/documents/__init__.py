"""Reading invoices: ingest, PDF text, codes, OCR, fields, items, reconciliation.

One entry point: :class:`minimarket.documents.invoice_reader.InvoiceReader`, composed by the caller from
``Settings``, OCR settings and optional learned parts.
"""
