"""The checks Slack's validator makes on blocks, messages and views that matter to an app, with Slack's answers."""

from __future__ import annotations

from typing import Any

from playground.slack.wire import Answer, error

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_TITLE = 24
BLOCK_TYPES = frozenset(
    {"section", "divider", "context", "actions", "header", "image", "input", "rich_text", "file", "video"}
)


def blocks_problem(blocks: Any, *, limit: int) -> str | None:
    """Why Slack would refuse these blocks, or None."""
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > limit:
        return f"no more than {limit} items allowed [json-pointer:/blocks]"
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            return f"unsupported type [json-pointer:/blocks/{index}/type]"
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen:
                return f"duplicate block_id [json-pointer:/blocks/{index}/block_id]"
            seen.add(block_id)
        text = block.get("text")
        if block["type"] == "section" and isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            return f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/{index}/text/text]"
    return None


def invalid_blocks(blocks: Any) -> Answer | None:
    """chat.postMessage's and chat.update's answer to blocks Slack refuses, or None."""
    problem = blocks_problem(blocks, limit=MAX_MESSAGE_BLOCKS)
    return error("invalid_blocks", f"[ERROR] {problem}", errors=[problem]) if problem else None


def message_problem(params: dict[str, Any]) -> Answer | None:
    """Slack's answer to a message it would not post, or None."""
    blocks = params.get("blocks")
    if not params.get("text") and not blocks and not params.get("attachments"):
        return error("no_text")
    if blocks is not None:
        refused = invalid_blocks(blocks)
        if refused:
            return refused
    if len(str(params.get("text") or "")) > MAX_MESSAGE_TEXT:
        return error("msg_too_long")
    metadata = params.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict) or "event_type" not in metadata):
        return error("invalid_metadata_format")
    return None


def _plain(text: Any) -> str:
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def checked_view(view: Any, *, kind: str | None) -> dict[str, Any] | Answer:
    """The view when Slack would take it (as a `kind` view, when given); else Slack's answer."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return error("invalid_arguments", "[ERROR] missing required field: type [json-pointer:/view/type]")
    if kind is not None and view["type"] != kind:
        return error("invalid_arguments", f"[ERROR] must be {kind} [json-pointer:/view/type]")
    problem = blocks_problem(view.get("blocks") or [], limit=MAX_VIEW_BLOCKS)
    if problem:
        return error("invalid_arguments", f"[ERROR] {problem.replace('/blocks', '/view/blocks')}")
    if view["type"] == "modal":
        for name in ("title", "submit", "close"):
            if len(_plain(view.get(name))) > MAX_VIEW_TITLE:
                return error(
                    "invalid_arguments",
                    f"[ERROR] must be less than {MAX_VIEW_TITLE + 1} characters [json-pointer:/view/{name}/text]",
                )
        if not _plain(view.get("title")):
            return error("invalid_arguments", "[ERROR] missing required field: title [json-pointer:/view/title]")
    return view
