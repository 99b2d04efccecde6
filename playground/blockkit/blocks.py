"""Block Kit blocks, messages and views (modals, Home tabs) to HTML, including rich text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from playground.blockkit.dates import date_html
from playground.blockkit.elements import NOT_ID_CHARS, action_id_of, element_html, form_control, image_html
from playground.blockkit.markup import (
    RenderContext,
    as_list,
    as_map,
    as_str,
    emoji,
    escape_html,
    html_attrs,
    unknown_note,
)
from playground.blockkit.text import (
    broadcast_mention,
    channel_mention,
    link_html,
    text_html,
    text_plain,
    user_mention,
    usergroup_mention,
)


def _rich_piece(piece: Mapping[str, Any], ctx: RenderContext) -> str:
    kind = as_str(piece.get("type"))
    style = as_map(piece.get("style"))
    if kind == "text":
        shown = escape_html(as_str(piece.get("text"))).replace("\n", "<br>")
    elif kind == "link":
        url = as_str(piece.get("url"))
        shown = link_html(url, as_str(piece.get("text")) or url)
    elif kind == "user":
        shown = user_mention(as_str(piece.get("user_id")), "", ctx)
    elif kind == "channel":
        shown = channel_mention(as_str(piece.get("channel_id")), "", ctx)
    elif kind == "usergroup":
        shown = usergroup_mention(as_str(piece.get("usergroup_id")), "")
    elif kind == "broadcast":
        shown = broadcast_mention(as_str(piece.get("range")) or "here")
    elif kind == "emoji":
        name = as_str(piece.get("name"))
        code = as_str(piece.get("unicode"))
        try:
            shown = (
                escape_html("".join(chr(int(part, 16)) for part in code.split("-")))
                if code
                else escape_html(emoji(name))
            )
        except ValueError:
            shown = escape_html(emoji(name))
    elif kind == "date":
        stamp = piece.get("timestamp")
        epoch = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
        fallback = as_str(piece.get("fallback"))
        shown = date_html(epoch, as_str(piece.get("format")), fallback, as_str(piece.get("url")), ctx)
    else:
        return unknown_note(f"[{kind or '?'}]")
    for key, tag in (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b")):
        if style.get(key) is True:
            css = ' class="bk-code"' if tag == "code" else ""
            shown = f"<{tag}{css}>{shown}</{tag}>"
    return shown


def _rich_section(node: Mapping[str, Any], ctx: RenderContext) -> str:
    return "".join(_rich_piece(as_map(piece), ctx) for piece in as_list(node.get("elements")))


def _rich_part(node: Mapping[str, Any], ctx: RenderContext) -> str:
    kind = as_str(node.get("type"))
    if kind == "rich_text_section":
        return f'<div class="bk-rt-section">{_rich_section(node, ctx)}</div>'
    if kind == "rich_text_quote":
        return f'<blockquote class="bk-quote">{_rich_section(node, ctx)}</blockquote>'
    if kind == "rich_text_preformatted":
        return f'<pre class="bk-pre">{_rich_section(node, ctx)}</pre>'
    if kind == "rich_text_list":
        tag = "ol" if node.get("style") == "ordered" else "ul"
        indent = node.get("indent")
        depth = indent if isinstance(indent, int) and not isinstance(indent, bool) and 0 < indent < 9 else 0
        items = "".join(f"<li>{_rich_section(as_map(item), ctx)}</li>" for item in as_list(node.get("elements")))
        return f'<{tag} class="bk-rt-list bk-indent-{depth}">{items}</{tag}>'
    return unknown_note(f"[{kind or '?'}]")


def _section(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    parts: list[str] = []
    if block.get("text") is not None:
        parts.append(f'<div class="bk-text">{text_html(block.get("text"), ctx)}</div>')
    fields = [f'<div class="bk-field">{text_html(f, ctx)}</div>' for f in as_list(block.get("fields"))]
    if fields:
        parts.append(f'<div class="bk-fields">{"".join(fields)}</div>')
    accessory = block.get("accessory")
    side = f'<div class="bk-accessory">{element_html(accessory, block_id, 0, ctx)}</div>' if accessory else ""
    return (
        f'<div class="bk-block bk-section"{html_attrs(data_block_id=block_id)}>'
        f'<div class="bk-section-body">{"".join(parts)}</div>{side}</div>'
    )


def _context(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    items: list[str] = []
    for element in map(as_map, as_list(block.get("elements"))):
        if element.get("type") == "image":
            items.append(image_html(element, "bk-context-image"))
        else:
            items.append(f'<span class="bk-context-text">{text_html(element, ctx)}</span>')
    return f'<div class="bk-block bk-context"{html_attrs(data_block_id=block_id)}>{"".join(items)}</div>'


def _divider(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    return f'<hr class="bk-block bk-divider"{html_attrs(data_block_id=block_id)}>'


def _header(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    return (
        f'<h3 class="bk-block bk-header"{html_attrs(data_block_id=block_id)}>{text_html(block.get("text"), ctx)}</h3>'
    )


def _actions(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    elements = "".join(element_html(e, block_id, i, ctx) for i, e in enumerate(as_list(block.get("elements"))))
    return f'<div class="bk-block bk-actions"{html_attrs(data_block_id=block_id)}>{elements}</div>'


def _image_block(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    title = block.get("title")
    caption = f'<figcaption class="bk-image-title">{text_html(title, ctx)}</figcaption>' if title else ""
    image = image_html(block, "bk-image-img")
    return f'<figure class="bk-block bk-image"{html_attrs(data_block_id=block_id)}>{caption}{image}</figure>'


def _input(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    element = as_map(block.get("element"))
    kind = as_str(element.get("type"))
    action_id = action_id_of(element, 0)
    optional = block.get("optional") is True
    control = form_control(element, block_id, action_id, ctx, required=not optional)
    if control is None:
        control = unknown_note(text_plain(element.get("placeholder")) or f"[{kind or '?'}]")
    dom_id = "bk-" + NOT_ID_CHARS.sub("_", f"{block_id}-{action_id}")
    label = text_html(block.get("label"), ctx)
    if optional:
        label += ' <span class="bk-optional">(optional)</span>'
    hint = block.get("hint")
    hint_html = f'<div class="bk-hint">{text_html(hint, ctx)}</div>' if hint else ""
    attrs = html_attrs(
        data_block_id=block_id,
        data_action_id=action_id,
        data_type=kind,
        data_optional="true" if optional else "false",
    )
    return (
        f'<div class="bk-block bk-input"{attrs}>'
        f'<label class="bk-label"{html_attrs(for_=dom_id)}>{label}</label>'
        f'{control}{hint_html}<div class="bk-input-error" hidden></div></div>'
    )


def _rich_text(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    parts = "".join(_rich_part(as_map(part), ctx) for part in as_list(block.get("elements")))
    return f'<div class="bk-block bk-rich-text"{html_attrs(data_block_id=block_id)}>{parts}</div>'


# A block without a `block_id` gets `b<index>` (its place in the list), as Slack fills in ids it was not given.
_BLOCKS: dict[str, Callable[[Mapping[str, Any], str, RenderContext], str]] = {
    "section": _section,
    "context": _context,
    "divider": _divider,
    "header": _header,
    "actions": _actions,
    "image": _image_block,
    "input": _input,
    "rich_text": _rich_text,
}


def _block(block: Any, index: int, ctx: RenderContext) -> str:
    node = as_map(block)
    kind = as_str(node.get("type"))
    render = _BLOCKS.get(kind)
    if render is None:
        note = f"This {kind} block cannot be shown here." if kind else "This block cannot be shown here."
        return f'<div class="bk-block bk-unknown">{escape_html(note)}</div>'
    return render(node, as_str(node.get("block_id")) or f"b{index}", ctx)


def render_blocks(blocks: Sequence[Mapping[str, Any]], *, ctx: RenderContext) -> str:
    """A message's blocks as one HTML fragment (`<div class="bk-blocks">…</div>`)."""
    body = "".join(_block(block, index, ctx) for index, block in enumerate(as_list(blocks)))
    return f'<div class="bk-blocks">{body}</div>'


def render_message(text: str, blocks: Sequence[Mapping[str, Any]] | None, *, ctx: RenderContext) -> str:
    """A message as Slack shows it: its blocks, or its mrkdwn `text` when it has none."""
    if blocks:
        return render_blocks(blocks, ctx=ctx)
    return render_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": text}}], ctx=ctx)


def render_view(view: Mapping[str, Any], *, ctx: RenderContext) -> str:
    """A modal or Home tab as a `<form class="bk-view …">` holding its blocks and input controls.

    Modals carry `data-callback-id`, `data-title`, `data-submit` (empty without a submit button)
    and `data-close` (default "Cancel") for the page to draw its own buttons, and show the title.
    """
    node = as_map(view)
    kind = as_str(node.get("type")) or "modal"
    blocks = render_blocks(as_list(node.get("blocks")), ctx=ctx)
    callback_id = as_str(node.get("callback_id"))
    if kind == "home":
        return (
            f'<form class="bk-view bk-home"{html_attrs(data_type="home", data_callback_id=callback_id)}>{blocks}</form>'
        )
    title = text_plain(node.get("title"))
    close = text_plain(node.get("close")) or "Cancel"
    submit = text_plain(node.get("submit"))
    attrs = html_attrs(
        data_type=kind, data_callback_id=callback_id, data_title=title, data_submit=submit, data_close=close
    )
    css = "bk-modal" if kind == "modal" else "bk-unknown-view"
    return f'<form class="bk-view {css}"{attrs}><h2 class="bk-view-title">{escape_html(title)}</h2>{blocks}</form>'
