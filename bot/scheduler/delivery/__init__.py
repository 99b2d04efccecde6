"""Delivery of outbox rows: claim with a lease, render, send through the gateway, mark the result."""
