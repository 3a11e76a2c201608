"""Demo data: a believable association to explore on a fresh install."""
