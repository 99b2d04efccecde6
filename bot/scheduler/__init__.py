"""The follow-up engine: one pass plans the outbox and delivers it."""
