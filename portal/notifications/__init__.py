"""Email: named templates (catalog), the outbox they are queued into, and delivery."""
