"""Messages in and out: inbound storage, the outbox, delivery, notice texts."""
