"""Steps (placeholder)."""
