"""What one delivery did: rows sent, retried, failed, skipped, paced and held."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class DeliverySummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    paced: int = 0
    held: int = 0  # rows held to their reader's next working period
    conversations: int = 0  # conversations claimed
    wake_in_seconds: float | None = None  # when the first paced row may go (with a pacer)
    paced_ids: list[int] = field(default_factory=list)  # the rows put back to wait their conversation's turn

    def held_back(self, delay_seconds: float, ids: Sequence[int]) -> None:
        """Rows put back to wait their conversation's turn, `delay_seconds` from now."""
        self.paced += len(ids)
        self.paced_ids.extend(ids)
        first = self.wake_in_seconds
        self.wake_in_seconds = delay_seconds if first is None else min(first, delay_seconds)

    def add(self, other: DeliverySummary) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.paced += other.paced
        self.held += other.held
        self.conversations += other.conversations
        self.paced_ids.extend(other.paced_ids)
        if other.wake_in_seconds is not None:
            first = self.wake_in_seconds
            self.wake_in_seconds = other.wake_in_seconds if first is None else min(first, other.wake_in_seconds)
