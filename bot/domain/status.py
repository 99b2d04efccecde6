"""A Slack status that means "away" (a palm tree, "OOO", "sick"…): Baton treats it like `/task away`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

AWAY_EMOJI = frozenset({"palm_tree", "airplane", "desert_island", "face_with_thermometer", "mask"})
# At the start of a word, any case: "OOO until Monday", "on leave", "Sick today", "holidays", "vacationing";
# not "goood" or "homesick"-like words where the term sits inside another word.
_AWAY_TEXT = re.compile(r"\b(?:out of office|ooo|vacation|holiday|sick|on leave)", re.IGNORECASE)


@dataclass(frozen=True)
class SlackStatus:
    """`profile.status_emoji`, `status_text`, `status_expiration` (Unix seconds; 0: none) from users.info."""

    emoji: str = ""
    text: str = ""
    expiration: int = 0

    @property
    def means_away(self) -> bool:
        """Whether the status says the person is away (CONTRACT, People's time), ignoring expiry."""
        name = self.emoji.strip().strip(":").split("::")[0].lower()
        return name in AWAY_EMOJI or bool(_AWAY_TEXT.search(self.text or ""))

    @property
    def expires_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.expiration, tz=UTC) if self.expiration > 0 else None

    def is_away(self, at: datetime) -> bool:
        """Away at `at`: the status means away and has not expired by then."""
        if not self.means_away:
            return False
        expires = self.expires_at
        return expires is None or at < expires

    def describe(self) -> str:
        """How the Home tab names it: `:palm_tree: Vacation`."""
        return " ".join(part for part in (self.emoji.strip(), self.text.strip()) if part)
