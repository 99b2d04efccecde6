"""Pieces every grammar reads: mentions as Slack sends them, the first word, and replies quoting a word."""

from __future__ import annotations

import re

from bot.domain.errors import BadInput
from bot.domain.text import clip, escape, unescape

MAX_WORD_SHOWN = 30
USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
SPECIAL_MENTION = re.compile(r"<![^<>]*>")  # <!here>, <!channel>, <!everyone>, <!subteam^S1|@group>
CHANNEL_MENTION = re.compile(r"<#[^<>]*>")
GROUP_WORDS = frozenset({"@here", "@channel", "@everyone"})

PICK_FROM_AUTOCOMPLETE = "pick the person from Slack's autocomplete so the name turns into a mention"


def split_first(raw: str) -> tuple[str, str]:
    """The first word and the rest, both still as Slack sent them."""
    parts = raw.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def shown(raw_word: str) -> str:
    """A word the person typed, shortened and escaped for quoting in a (mrkdwn) reply."""
    return escape(clip(unescape(raw_word), MAX_WORD_SHOWN))


def refuse_non_person(raw_word: str, *, example: str) -> None:
    """A word where a person should be that is a group, a channel or a plain @name: say what to do."""
    if SPECIAL_MENTION.match(raw_word) or raw_word.lower() in GROUP_WORDS:
        raise BadInput(f"Name one person, not a group or @here: {example}")
    if CHANNEL_MENTION.match(raw_word):
        raise BadInput(f"Name a person, not a channel: {example}")
    if raw_word.startswith("@"):
        raise BadInput(f'"{shown(raw_word)}" is not a mention; {PICK_FROM_AUTOCOMPLETE}: {example}')


def refuse_extra(raw_extra: str, *, form: str) -> None:
    if raw_extra.strip():
        raise BadInput(f'I didn\'t expect "{shown(raw_extra.strip())}" there. Use `{form}`.')


# Slack links a `#word` that is also a channel's name: `<#C123|word>`, or `<#C123|>` for a private one.
CHANNEL_LINK = re.compile(r"<#[CG][A-Z0-9]*(?:\|([^<>]*))?>")


def channels_as_skills(raw: str, *, unreadable: str) -> str:
    """Read a `#skill` that Slack turned into a channel link back as `#skill`."""

    def as_skill(match: re.Match[str]) -> str:
        name = (match.group(1) or "").strip()
        if not name:
            raise BadInput(unreadable)
        return "#" + name

    return CHANNEL_LINK.sub(as_skill, raw)
