"""Whether a message Baton may have posted already is in its conversation: a look into history before posting again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from bot.scheduler.delivery.rows import ClaimedRow, backoff, is_person
from bot.services.ports import Failed, Looked, MessageSender, RetryLater
from storage.uow import UnitOfWorkFactory

MAX_LOOKS_KEPT = 1000  # looks cut short whose progress is remembered (in this process)


class LostMessageSearch:
    """Looks for a message whose send may have reached Slack with its answer lost. A look the history budget cuts
    short is remembered, so the next one goes on below where it stopped instead of reading the newest page again."""

    def __init__(self, *, uow: UnitOfWorkFactory, sender: MessageSender) -> None:
        self._uow = uow
        self._sender = sender
        # Looks cut short by the history budget, by (workspace, conversation, window): how far down each read
        # and what it found, so the next look goes on from there instead of reading the newest page again.
        self._looks: OrderedDict[tuple[str, str, str | None, str | None], Looked] = OrderedDict()
        self._looks_lock = threading.Lock()

    def look_for(
        self, first: ClaimedRow, suspects: Sequence[ClaimedRow], keys: Sequence[str], *, channel: str
    ) -> tuple[str, dict[str, str]] | RetryLater | Failed:
        """Whether a message carrying these keys is already in the conversation: (conversation, key -> ts), or
        why Baton could not tell yet (then nothing is posted: a look cut short is not "not there"). It reads
        only what came after the last message Baton knew there before its first try, a page at a time."""
        look_in = channel
        if is_person(look_in):  # never posted to them yet: history needs the DM's own id
            opened = self._sender.open_dm(first.workspace_id, first.recipient_id)
            if not isinstance(opened, str):
                return opened
            look_in = opened
        tried = min((row.first_tried_at for row in suspects if row.first_tried_at is not None), default=None)
        oldest = latest = None
        if tried is not None:
            with self._uow(read_only=True) as uow:
                oldest = uow.outbox.last_ts_before(first.workspace_id, channel_id=look_in, before=tried)
                latest = uow.outbox.first_ts_after(first.workspace_id, channel_id=look_in, after=tried)
        window = (first.workspace_id, look_in, oldest, latest)
        with self._looks_lock:
            before = self._looks.pop(window, None)
        if before is not None and before.read_down_to is not None:
            latest = before.read_down_to  # what is newer was read already
        looked = self._sender.find_posted(first.workspace_id, look_in, dedupe_keys=keys, oldest=oldest, latest=latest)
        found = {**(before.found if before is not None else {}), **looked.found}
        if not looked.complete and not all(row.dedupe_key in found for row in suspects):
            with self._looks_lock:
                read_down_to = looked.read_down_to or (before.read_down_to if before is not None else None)
                self._looks[window] = Looked(found=found, complete=False, read_down_to=read_down_to)
                while len(self._looks) > MAX_LOOKS_KEPT:
                    self._looks.popitem(last=False)
            wait = looked.retry_after
            if wait is None:
                wait = backoff(max(r.attempts for r in suspects)).total_seconds()
            return RetryLater("history not read", after_seconds=wait, attempted=False)
        return look_in, found
