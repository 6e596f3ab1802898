"""Health article assistant."""
