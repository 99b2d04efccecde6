"""Pure Block Kit builders: every message, modal and Home tab Baton shows, one module per surface.

No I/O, no Slack client and no clock reads: callers pass `now`. User text goes through
`bot.domain.text.escape` exactly once; limits are from https://docs.slack.dev/reference/block-kit/blocks."""
