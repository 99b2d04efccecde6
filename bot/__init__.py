"""Baton: delegate work in Slack and follow up on it."""
