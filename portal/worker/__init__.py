"""The `portal worker` process above the services: delivering the outbox, the scheduled and digest notices, the loop."""
