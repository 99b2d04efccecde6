"""Modals and Home tabs as Slack keeps them: triggers exchanged for modals, modal stacks, and the views.* methods."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from playground.slack import checks
from playground.slack.records import (
    Exchanged,
    Modal,
)
from playground.slack.state import WorkspaceState
from playground.slack.wire import Answer, error, ok

MAX_MODAL_STACK = 3
TRIGGER_SECONDS = 3.0  # Slack's trigger_id expires 3 s after the interaction


class ViewsAndModals(WorkspaceState):
    """The views methods of the Web API and the modal stacks they keep, per person and page."""

    def new_trigger(self, user: str, *, page: str | None = None) -> str:
        """A trigger_id for one interaction by `user` on `page` (the browser page it came from, if any):
        views.open and views.push exchange it once, within 3 s, and the modal opens on that page."""
        trigger = f"{next(self._seq)}.{secrets.token_hex(6)}"
        with self._lock:
            self._triggers[trigger] = (user, time.monotonic(), False, page)
        return trigger

    def _exchange_trigger(self, trigger_id: Any) -> Exchanged | Answer:
        found = self._triggers.get(str(trigger_id or ""))
        if found is None:
            if self.closed_world or not trigger_id:
                return error("invalid_arguments", "invalid `trigger_id`")
            return Exchanged(None, None)
        user, issued, used, page = found
        if used:
            return error("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return error("expired_trigger_id")
        self._triggers[str(trigger_id)] = (user, issued, True, page)
        return Exchanged(user, page)

    def _store_view(self, view: dict[str, Any], owner: str, view_id: str | None = None) -> dict[str, Any]:
        """Keep a view as Slack does: with an id, a hash, and generated block and action ids where missing."""
        view_id = view_id or f"V0{next(self._seq):07d}"
        previous = self.views.get(view_id)
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team.id,
            "app_id": self.team.app_id,
            "bot_id": self.team.bot_id,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": previous["root_view_id"] if previous else view_id,
        }
        stored.update(copy.deepcopy(view))
        stored["id"] = view_id
        stored["state"] = {"values": {}}
        stored["hash"] = f"{int(time.time())}.{secrets.token_hex(4)}"
        # Slack fills in ids it was not given; these follow the page renderer's (b<index>, a<index>).
        for index, block in enumerate(stored.get("blocks") or []):
            block.setdefault("block_id", f"b{index}")
            element = block.get("element")
            if isinstance(element, dict):
                element.setdefault("action_id", "a0")
        self.views[view_id] = stored
        self.view_owner[view_id] = owner
        return stored

    def _views_open(self, params: dict[str, Any]) -> Answer:
        exchanged = self._exchange_trigger(params.get("trigger_id"))
        if not isinstance(exchanged, Exchanged):
            return exchanged
        view = checks.checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, exchanged.user or "")
        if exchanged.user is not None:
            self.modals[exchanged.user] = Modal(stack=[stored["id"]], page=exchanged.page)
        return ok(view=copy.deepcopy(stored))

    def _views_push(self, params: dict[str, Any]) -> Answer:
        exchanged = self._exchange_trigger(params.get("trigger_id"))
        if not isinstance(exchanged, Exchanged):
            return exchanged
        view = checks.checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        if exchanged.user is None:  # a made-up trigger: no stack to push onto is known
            return ok(view=copy.deepcopy(self._store_view(view, "")))
        modal = self.modals.get(exchanged.user)
        if modal is None or not modal.stack:
            return error("invalid_arguments", "no modal is open to push onto")
        if len(modal.stack) >= MAX_MODAL_STACK:
            return error("push_limit_reached")
        return ok(view=copy.deepcopy(self.push_view(exchanged.user, view)))

    def push_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put a modal on top of `user`'s stack (views.push, or response_action push)."""
        with self._lock:
            modal = self.modals.setdefault(user, Modal())
            stored = self._store_view(view, user)
            stored["previous_view_id"] = modal.stack[-1] if modal.stack else None
            stored["root_view_id"] = modal.stack[0] if modal.stack else stored["id"]
            modal.stack.append(stored["id"])
            modal.errors = {}
            self.changed()
            return stored

    def _views_update(self, params: dict[str, Any]) -> Answer:
        view_id = str(params.get("view_id") or "")
        if not view_id:
            external_id = params.get("external_id")
            view_id = next(
                (vid for vid, v in self.views.items() if external_id and v.get("external_id") == external_id), ""
            )
            if not view_id:
                if external_id:
                    return error("not_found")
                return error("invalid_arguments", "view_id or external_id is required")
        current = self.views.get(view_id)
        if current is None and self.closed_world:
            return error("not_found")
        # An open world takes an unknown id as a view it did not see opened (tests make up the modal's id).
        given_hash = params.get("hash")
        if current is not None and given_hash and given_hash != current["hash"]:
            return error("hash_conflict")
        view = checks.checked_view(params.get("view"), kind=current["type"] if current is not None else None)
        if isinstance(view, tuple):
            return view
        return ok(view=copy.deepcopy(self.update_view(view_id, view)))

    def update_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Replace a view in place (views.update, or response_action update); its errors go."""
        with self._lock:
            owner = self.view_owner.get(view_id, "")
            previous = self.views.get(view_id) or {}
            stored = self._store_view(view, owner, view_id)
            stored["previous_view_id"] = previous.get("previous_view_id")
            modal = self.modals.get(owner)
            if modal is not None and modal.stack and modal.stack[-1] == view_id:
                modal.errors = {}
            self.changed()
            return stored

    def _views_publish(self, params: dict[str, Any]) -> Answer:
        user_id = str(params.get("user_id") or "")
        if user_id not in self.users:
            return error("invalid_arguments", "[ERROR] invalid user_id")
        view = checks.checked_view(params.get("view"), kind="home")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, user_id, self.home_views.get(user_id))
        self.home_views[user_id] = stored["id"]
        return ok(view=copy.deepcopy(stored))

    def top_modal(self, user: str, *, page: str | None = None) -> tuple[dict[str, Any], dict[str, str]] | None:
        """The modal `user` sees (top of the stack) and the errors under its inputs. With `page`, only a
        modal opened on that page (or on none): one left open on a page since reloaded or closed is not
        brought back, as Slack does not bring a modal back into a new client."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is None or not modal.stack:
                return None
            if page is not None and modal.page is not None and modal.page != page:
                return None
            return copy.deepcopy(self.views[modal.stack[-1]]), dict(modal.errors)

    def show_errors(self, user: str, errors: dict[str, str]) -> None:
        """response_action errors: messages under the named inputs of the top modal."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is not None:
                modal.errors = {str(k): str(v) for k, v in errors.items()}
            self.changed()

    def close_modal(self, user: str, *, everything: bool) -> None:
        """Close the top modal (its Cancel or a successful submit), or the whole stack."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is not None:
                if everything:
                    modal.stack.clear()
                elif modal.stack:
                    modal.stack.pop()
                modal.errors = {}
            self.changed()
