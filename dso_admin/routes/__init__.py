"""Route modules of the officials' and support workspace."""
