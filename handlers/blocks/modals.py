"""Modals: the New task form, the reason asked on Decline and Blocked, and notices after a click."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.model import (
    Priority,
    TaskView,
    TeamOption,
)
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, clip
from handlers import ids
from handlers.blocks.cards import headline, priority_label
from handlers.blocks.primitives import (
    MAX_LABEL_CHARS,
    MAX_MODAL_TITLE_CHARS,
    MAX_OPTION_CHARS,
    MAX_PRIVATE_METADATA_CHARS,
    MAX_RADIO_OPTIONS,
    MAX_REASON_CHARS,
    MAX_SELECT_OPTIONS,
    MAX_VIEW_BLOCKS,
    Block,
    View,
    channel_mention,
    context,
    link,
    mrkdwn,
    one_line,
    pack,
    plain_text,
    section,
)


def _input(block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, MAX_LABEL_CHARS),
        "element": element,
        "optional": optional,
    }
    if hint is not None:
        block["hint"] = plain_text(hint, MAX_LABEL_CHARS)
    return block


def _modal(*, callback_id: str, title: str, submit: str, blocks: list[Block], private_metadata: str) -> View:
    if len(private_metadata) > MAX_PRIVATE_METADATA_CHARS:
        raise ValueError(f"private_metadata is over {MAX_PRIVATE_METADATA_CHARS} characters")
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain_text(title, MAX_MODAL_TITLE_CHARS),
        "submit": plain_text(submit, MAX_MODAL_TITLE_CHARS),
        "close": plain_text("Cancel", MAX_MODAL_TITLE_CHARS),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


_PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def notice_modal(*, title: str, text: str) -> View:
    """A modal that only says something (a refusal after a click); `text` is Baton's own mrkdwn."""
    return {
        "type": "modal",
        "title": plain_text(title, MAX_MODAL_TITLE_CHARS),
        "close": plain_text("OK", MAX_MODAL_TITLE_CHARS),
        "blocks": [section(chunk) for chunk in pack(text.strip().splitlines() or ["…"])][:MAX_VIEW_BLOCKS],
    }


def _priority_option(priority: Priority) -> dict[str, Any]:
    return {"text": plain_text(priority_label(priority), MAX_OPTION_CHARS), "value": priority.value}


def _team_element(teams: Sequence[TeamOption], team_id: int | None) -> Block:
    # Radio buttons take mrkdwn, so `<#C…>` shows the channel's name; select menus take plain_text
    # only (https://docs.slack.dev/reference/block-kit/composition-objects/option-object).
    # Both put the choice in `selected_option.value`.
    if len(teams) <= MAX_RADIO_OPTIONS:
        options = [
            {"text": mrkdwn(channel_mention(team.channel_id), MAX_OPTION_CHARS), "value": str(team.id)}
            for team in teams
        ]
        element: Block = {"type": "radio_buttons", "action_id": ids.INPUT_TEAM, "options": options}
    else:
        options = [
            {"text": plain_text(f"#{team.channel_id}", MAX_OPTION_CHARS), "value": str(team.id)}
            for team in teams[:MAX_SELECT_OPTIONS]
        ]
        element = {
            "type": "static_select",
            "action_id": ids.INPUT_TEAM,
            "placeholder": plain_text("Pick a team", 150),
            "options": options,
        }
    chosen = [option for option in options if option["value"] == str(team_id)]
    if team_id is not None and chosen:
        element["initial_option"] = chosen[0]
    return element


def new_task_modal(
    *,
    teams: Sequence[TeamOption],
    title: str = "",
    details: str = "",
    assignee_id: str | None = None,
    team_id: int | None = None,
    source_link: str | None = None,
    private_metadata: str = "",
    suggested: Sequence[str] = (),
) -> View:
    """The New task modal (`/task` alone, the message shortcut), prefilled when values are given.

    `suggested` are Baton's own mrkdwn lines (`suggested_lines`), shown under the assignee picker."""
    title_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_TITLE,
        "max_length": MAX_TITLE_CHARS,
        "placeholder": plain_text("What needs doing?", 150),
    }
    if title.strip():
        title_input["initial_value"] = clip(one_line(title), MAX_TITLE_CHARS)
    details_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_DETAILS,
        "multiline": True,
        "max_length": MAX_DETAILS_CHARS,
    }
    if details.strip():
        details_input["initial_value"] = clip(details.strip(), MAX_DETAILS_CHARS)
    assignee_input: Block = {
        "type": "users_select",
        "action_id": ids.INPUT_ASSIGNEE,
        "placeholder": plain_text("Who should do it?", 150),
    }
    if assignee_id:
        assignee_input["initial_user"] = assignee_id
    normal = _priority_option(Priority.NORMAL)
    blocks: list[Block] = [
        _input(ids.BLOCK_TITLE, "Title", title_input),
        _input(ids.BLOCK_DETAILS, "Details", details_input, optional=True),
        _input(ids.BLOCK_ASSIGNEE, "Assign to", assignee_input),
        *([context("Suggested: " + ", ".join(suggested))] if suggested else []),
        _input(
            ids.BLOCK_DUE_DATE,
            "Due date",
            {"type": "datepicker", "action_id": ids.INPUT_DUE_DATE},
            optional=True,
        ),
        _input(
            ids.BLOCK_DUE_TIME,
            "Due time",
            {"type": "timepicker", "action_id": ids.INPUT_DUE_TIME},
            optional=True,
            hint="A date without a time means 17:00 in your time zone.",
        ),
        _input(
            ids.BLOCK_PRIORITY,
            "Priority",
            {
                "type": "static_select",
                "action_id": ids.INPUT_PRIORITY,
                "options": [
                    _priority_option(p) for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
                ],
                "initial_option": normal,
            },
        ),
    ]
    if teams:
        blocks.append(_input(ids.BLOCK_TEAM, "Team", _team_element(teams, team_id), optional=True))
    if source_link:
        blocks.append(context(f"From {link(source_link, 'the original message')}"))
    return _modal(
        callback_id=ids.VIEW_NEW_TASK,
        title="New task",
        submit="Delegate",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def reason_modal(*, callback_id: str, task: TaskView, title: str, label: str, private_metadata: str) -> View:
    """A short modal asking why (optional): Decline (ids.VIEW_DECLINE) and Blocked (ids.VIEW_BLOCKED)."""
    reason_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_REASON,
        "multiline": True,
        "max_length": MAX_REASON_CHARS,
    }
    blocks = [
        section(headline(task)),
        _input(ids.BLOCK_REASON, label, reason_input, optional=True),
    ]
    return _modal(
        callback_id=callback_id,
        title=title,
        submit="Send",
        blocks=blocks,
        private_metadata=private_metadata,
    )
