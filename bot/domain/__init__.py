"""Pure rules of Baton: no I/O, no Slack, no SQL."""
