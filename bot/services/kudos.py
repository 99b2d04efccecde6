"""Kudos: a shout-out posted in the team channel and counted for the weekly recognition."""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import Clock
from bot.domain.errors import BadInput
from bot.domain.model import KudosView, OutboxKind
from bot.domain.payloads import KudosPayload
from bot.services.people import PeopleService
from bot.services.ports import Deliverer
from storage.models import Kudos
from storage.uow import UnitOfWorkFactory


class KudosService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people
        self._deliverer = deliverer

    def give(
        self, workspace_id: str, actor_id: str, *, channel_id: str, recipient_ids: Sequence[str], message: str
    ) -> KudosView:
        """Record the kudos and post it where it was typed (a DM can't be posted to, so the
        recipients get it by DM then)."""
        if actor_id in recipient_ids:
            raise BadInput("Kudos are for others; take yourself out of the list.")
        for user_id in recipient_ids:
            person = self._people.get(workspace_id, user_id)
            if person.is_bot:
                raise BadInput(f"<@{user_id}> is a bot; kudos are for people.")
        now = self._clock.now()
        in_channel = bool(channel_id) and channel_id[0] in "CG"
        with self._uow() as uow:
            uow.workspaces.ensure(workspace_id, now=now)
            team = uow.teams.by_channel(workspace_id, channel_id) if in_channel else None
            kudos = Kudos(
                workspace_id=workspace_id,
                giver_id=actor_id,
                team_id=team.id if team else None,
                channel_id=channel_id,
                message=message,
                created_at=now,
            )
            uow.kudos.add(kudos, recipient_ids)
            payload = KudosPayload(giver_id=actor_id, recipient_ids=tuple(recipient_ids), message=message)
            targets = [channel_id] if in_channel else list(recipient_ids)
            ids = []
            for target in targets:
                row = uow.outbox.add(
                    workspace_id,
                    dedupe_key=f"kudos:{kudos.id}:{target}",
                    kind=OutboxKind.KUDOS,
                    recipient_id=target,
                    payload=payload,
                    now=now,
                )
                if row is not None:
                    ids.append(row)
            view = KudosView(
                id=kudos.id,
                giver_id=actor_id,
                recipient_ids=tuple(recipient_ids),
                message=message,
                channel_id=channel_id,
                created_at=now,
            )
            uow.commit()
        self._deliverer.deliver(ids, workspace_id=workspace_id)
        return view
