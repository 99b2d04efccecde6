"""Pure Block Kit builders, one module per surface: no I/O or clock reads (callers pass `now`), user text escaped
once by `bot.domain.text.escape`, within Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)."""
