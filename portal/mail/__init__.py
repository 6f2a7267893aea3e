"""Email below the services: the catalog of named templates (rendering) and the outbox they are queued into."""
