"""`/kudos`: the people thanked, then the message."""

from __future__ import annotations

from bot.domain.errors import BadInput
from bot.domain.grammar.commands import (
    GiveKudos,
)
from bot.domain.grammar.tokens import (
    CHANNEL_MENTION,
    SPECIAL_MENTION,
    USER_MENTION,
    refuse_non_person,
    split_first,
)
from bot.domain.text import unescape

MAX_KUDOS_CHARS = 500


_KUDOS_EXAMPLE = "`/kudos @alice @bob Thanks for covering the on-call weekend!`"


def parse_kudos(text: str) -> GiveKudos:
    """Read the text after `/kudos`: the people first, then the message."""
    raw = text.strip()
    recipients: list[str] = []
    while match := USER_MENTION.match(raw):
        if match.group(1) not in recipients:
            recipients.append(match.group(1))
        raw = raw[match.end() :].lstrip().removeprefix(",").lstrip()  # "@a, @b thanks"
    if not recipients:
        word, _ = split_first(raw)
        refuse_non_person(word, example=_KUDOS_EXAMPLE)
        raise BadInput(f"Start with the people you thank: {_KUDOS_EXAMPLE}")
    if SPECIAL_MENTION.match(raw) or CHANNEL_MENTION.match(raw):
        raise BadInput(f"Kudos go to people, not groups or channels: {_KUDOS_EXAMPLE}")
    message = unescape(raw).strip()
    if not message:
        raise BadInput(f"Add a message after the names: {_KUDOS_EXAMPLE}")
    if len(message) > MAX_KUDOS_CHARS:
        raise BadInput(f"That message is {len(message)} characters long; keep it to {MAX_KUDOS_CHARS} or fewer.")
    return GiveKudos(recipient_ids=tuple(recipients), message=message)
