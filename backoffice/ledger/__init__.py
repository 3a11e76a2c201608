"""The double-entry fund ledger. It knows nothing about the documents that post to it."""
