"""Exports: the register (vendors, integrations, documents, assessments, add-ons) and the record of
processing as CSV, XLSX and PDF files, streamed, for auditors and scheduled snapshots."""
