"""Member groups and their organisers."""
