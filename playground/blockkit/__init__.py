"""Block Kit and mrkdwn to HTML: what Slack would show, rendered on the server for the playground page.
Pure functions, no I/O: the page inserts the fragments as they are."""

from __future__ import annotations

from playground.blockkit.blocks import render_blocks, render_message, render_view
from playground.blockkit.markup import EMOJI, RenderContext, emoji
from playground.blockkit.text import render_mrkdwn

__all__ = [
    "EMOJI",
    "RenderContext",
    "emoji",
    "render_blocks",
    "render_message",
    "render_mrkdwn",
    "render_view",
]
