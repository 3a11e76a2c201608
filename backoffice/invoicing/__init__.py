"""Sponsors, sponsorship packages, invoices: numbering, VAT, PDF and e-invoice, booking, mail."""
