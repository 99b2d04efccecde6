"""Block Kit elements to HTML: buttons, overflow menus, images, and the real form controls behind inputs and selects."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from playground.blockkit.markup import (
    SAFE_IMAGE_URL,
    SAFE_LINK_URL,
    RenderContext,
    as_list,
    as_map,
    as_str,
    escape_html,
    html_attrs,
    unknown_note,
    viewer_zone,
)
from playground.blockkit.text import text_html, text_plain

# Interactive elements carry the data attributes the page's script uses:
# - buttons: `<button class="bk-button [bk-primary|bk-danger]" data-action-id data-block-id data-value>`
#   (no `data-value` when the button has none, as Slack sends none);
# - inputs in views: `<div class="bk-block bk-input" data-block-id data-action-id data-type>` holding a
#   real form control named `<block_id>/<action_id>`, and an empty `.bk-input-error` for the answer
#   to `response_action: errors` (see blocks.py);
# - other elements in messages (selects, pickers, overflow menus): a `.bk-element` wrapper with the
#   same three attributes; overflow choices are `.bk-overflow-option` buttons with `data-value`.
# An element without an `action_id` gets `a<index>` (its place in the block), as Slack fills in ids.

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ISO_TIME = re.compile(r"\d{2}:\d{2}\Z")
NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")


def action_id_of(element: Mapping[str, Any], index: int) -> str:
    return as_str(element.get("action_id")) or f"a{index}"


def _button(element: Mapping[str, Any], block_id: str, index: int, ctx: RenderContext) -> str:
    style = element.get("style")
    css = "bk-button" + {"primary": " bk-primary", "danger": " bk-danger"}.get(as_str(style), "")
    value = element.get("value")
    url = as_str(element.get("url"))
    confirm = as_map(element.get("confirm"))
    attrs = html_attrs(
        data_action_id=action_id_of(element, index),
        data_block_id=block_id,
        data_value=value if isinstance(value, str) else None,
        data_url=url if SAFE_LINK_URL.match(url) else None,
        data_confirm=text_plain(confirm.get("text")) or None if confirm else None,
    )
    return f'<button type="button" class="{css}"{attrs}>{text_html(element.get("text"), ctx)}</button>'


def _overflow(element: Mapping[str, Any], block_id: str, index: int) -> str:
    action_id = action_id_of(element, index)
    choices = "".join(
        f'<button type="button" class="bk-overflow-option"'
        f"{html_attrs(data_action_id=action_id, data_block_id=block_id, data_value=as_str(option.get('value')))}>"
        f"{escape_html(text_plain(option.get('text')))}</button>"
        for option in map(as_map, as_list(element.get("options")))
    )
    wrapper = html_attrs(data_type="overflow", data_action_id=action_id, data_block_id=block_id)
    return (
        f'<details class="bk-element bk-overflow"{wrapper}>'
        '<summary class="bk-overflow-toggle" aria-label="More actions">⋯</summary>'
        f'<div class="bk-overflow-menu">{choices}</div></details>'
    )


def image_html(element: Mapping[str, Any], css: str) -> str:
    url = as_str(element.get("image_url"))
    alt = as_str(element.get("alt_text"))
    if not SAFE_IMAGE_URL.match(url):
        return f'<span class="{css} bk-image-missing">{escape_html(alt or "image")}</span>'
    return f'<img class="{css}"{html_attrs(src=url, alt=alt, title=alt or None)} loading="lazy">'


def _option_list(element: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(as_str(option.get("value")), option) for option in map(as_map, as_list(element.get("options")))]


def _select_options(
    choices: Iterable[tuple[str, str]], selected: set[str], placeholder: str | None, *, multiple: bool
) -> str:
    shown = [] if multiple else [f'<option value="">{escape_html(placeholder or "Select an item")}</option>']
    for value, label in choices:
        mark = " selected" if value in selected else ""
        shown.append(f"<option{html_attrs(value=value)}{mark}>{escape_html(label)}</option>")
    return "".join(shown)


def _static_choices(element: Mapping[str, Any]) -> str:
    """`<option>`s and `<optgroup>`s of a static select, with the initial option(s) selected."""
    selected = {as_str(as_map(element.get("initial_option")).get("value"))}
    selected |= {as_str(as_map(option).get("value")) for option in as_list(element.get("initial_options"))}
    selected.discard("")
    multiple = element.get("type") == "multi_static_select"
    placeholder = text_plain(element.get("placeholder"))
    groups = [as_map(group) for group in as_list(element.get("option_groups"))]
    if not groups:
        choices = [(value, text_plain(option.get("text"))) for value, option in _option_list(element)]
        return _select_options(choices, selected, placeholder, multiple=multiple)
    shown = _select_options([], selected, placeholder, multiple=multiple)
    for group in groups:
        choices = [(value, text_plain(option.get("text"))) for value, option in _option_list(group)]
        inner = _select_options(choices, selected, None, multiple=True)
        shown += f"<optgroup{html_attrs(label=text_plain(group.get('label')))}>{inner}</optgroup>"
    return shown


def _people_choices(element: Mapping[str, Any], ctx: RenderContext) -> str:
    multiple = element.get("type") == "multi_users_select"
    selected = {as_str(element.get("initial_user"))} | {as_str(u) for u in as_list(element.get("initial_users"))}
    selected.discard("")
    names = dict(ctx.users)
    for user_id in sorted(selected - names.keys()):
        names[user_id] = user_id
    choices = sorted(((uid, f"@{name}") for uid, name in names.items()), key=lambda c: (c[1].lower(), c[0]))
    placeholder = text_plain(element.get("placeholder"))
    return _select_options(choices, selected, placeholder, multiple=multiple)


def _channel_choices(element: Mapping[str, Any], ctx: RenderContext) -> str:
    multiple = str(element.get("type")).startswith("multi_")
    selected = {as_str(element.get(key)) for key in ("initial_conversation", "initial_channel")}
    for key in ("initial_conversations", "initial_channels"):
        selected |= {as_str(c) for c in as_list(element.get(key))}
    selected.discard("")
    names = dict(ctx.channels)
    for channel_id in sorted(selected - names.keys()):
        names[channel_id] = channel_id
    choices = sorted(((cid, f"#{name}") for cid, name in names.items()), key=lambda c: (c[1].lower(), c[0]))
    placeholder = text_plain(element.get("placeholder"))
    return _select_options(choices, selected, placeholder, multiple=multiple)


def _choices(element: Mapping[str, Any], name: str, dom_id: str, ctx: RenderContext, required: bool) -> str:
    """Checkboxes or radio buttons, each a real `<input>` named `name`."""
    radio = element.get("type") == "radio_buttons"
    selected = {as_str(as_map(element.get("initial_option")).get("value"))}
    selected |= {as_str(as_map(option).get("value")) for option in as_list(element.get("initial_options"))}
    selected.discard("")
    items: list[str] = []
    for number, (value, option) in enumerate(_option_list(element)):
        marks = (" checked" if value in selected else "") + (" required" if radio and required and not number else "")
        description = option.get("description")
        extra = f'<span class="bk-choice-description">{text_html(description, ctx)}</span>' if description else ""
        items.append(
            f'<label class="bk-choice"><input type="{"radio" if radio else "checkbox"}"'
            f"{html_attrs(name=name, value=value)}{marks}>"
            f'<span class="bk-choice-text">{text_html(option.get("text"), ctx)}</span>{extra}</label>'
        )
    return f'<div class="bk-choices"{html_attrs(id=dom_id)}>{"".join(items)}</div>'


def _local_datetime(epoch: Any, ctx: RenderContext) -> str | None:
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    try:
        return f"{datetime.fromtimestamp(epoch, tz=viewer_zone(ctx)):%Y-%m-%dT%H:%M}"
    except (OverflowError, OSError, ValueError):
        return None


def _number(value: Any) -> str | None:
    if isinstance(value, int | float | str) and not isinstance(value, bool) and str(value).strip():
        return str(value)
    return None


def form_control(
    element: Mapping[str, Any], block_id: str, action_id: str, ctx: RenderContext, *, required: bool
) -> str | None:
    """The real form control for an element, named `<block_id>/<action_id>`; None for unknown types."""
    kind = as_str(element.get("type"))
    name = f"{block_id}/{action_id}"
    dom_id = "bk-" + NOT_ID_CHARS.sub("_", f"{block_id}-{action_id}")
    need = " required" if required else ""
    placeholder = text_plain(element.get("placeholder")) or None
    base = html_attrs(id=dom_id, name=name)
    if kind == "plain_text_input":
        limits = html_attrs(maxlength=_number(element.get("max_length")), minlength=_number(element.get("min_length")))
        initial = as_str(element.get("initial_value"))
        if element.get("multiline") is True:
            extra = html_attrs(placeholder=placeholder)
            return f'<textarea class="bk-control" rows="4"{base}{limits}{extra}{need}>{escape_html(initial)}</textarea>'
        extra = html_attrs(value=initial, placeholder=placeholder)
        return f'<input class="bk-control" type="text"{base}{limits}{extra}{need}>'
    simple = {"email_text_input": "email", "url_text_input": "url", "number_input": "number"}
    if kind in simple:
        step = "any" if element.get("is_decimal_allowed") is True else None
        extra = html_attrs(
            value=_number(element.get("initial_value")),
            placeholder=placeholder,
            min=_number(element.get("min_value")) if kind == "number_input" else None,
            max=_number(element.get("max_value")) if kind == "number_input" else None,
            step=step if kind == "number_input" else None,
        )
        return f'<input class="bk-control" type="{simple[kind]}"{base}{extra}{need}>'
    if kind == "datepicker":
        initial = as_str(element.get("initial_date"))
        extra = html_attrs(value=initial if _ISO_DATE.match(initial) else None)
        return f'<input class="bk-control" type="date"{base}{extra}{need}>'
    if kind == "timepicker":
        initial = as_str(element.get("initial_time"))
        extra = html_attrs(value=initial if _ISO_TIME.match(initial) else None)
        return f'<input class="bk-control" type="time"{base}{extra}{need}>'
    if kind == "datetimepicker":
        extra = html_attrs(value=_local_datetime(element.get("initial_date_time"), ctx))
        return f'<input class="bk-control" type="datetime-local"{base}{extra}{need}>'
    multiple = " multiple" if kind.startswith("multi_") else ""
    if kind in ("static_select", "multi_static_select", "external_select", "multi_external_select"):
        return f'<select class="bk-control"{base}{multiple}{need}>{_static_choices(element)}</select>'
    if kind in ("users_select", "multi_users_select"):
        return f'<select class="bk-control"{base}{multiple}{need}>{_people_choices(element, ctx)}</select>'
    if kind in ("conversations_select", "channels_select", "multi_conversations_select", "multi_channels_select"):
        return f'<select class="bk-control"{base}{multiple}{need}>{_channel_choices(element, ctx)}</select>'
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(element, name, dom_id, ctx, required)
    return None


def element_html(element: Any, block_id: str, index: int, ctx: RenderContext) -> str:
    """An interactive element (or image) in a section accessory, an actions block or a context."""
    node = as_map(element)
    kind = as_str(node.get("type"))
    if kind == "button":
        return _button(node, block_id, index, ctx)
    if kind == "overflow":
        return _overflow(node, block_id, index)
    if kind == "image":
        return image_html(node, "bk-accessory-image")
    action_id = action_id_of(node, index)
    control = form_control(node, block_id, action_id, ctx, required=False)
    if control is None:
        return unknown_note(text_plain(node.get("placeholder")) or text_plain(node.get("text")) or f"[{kind or '?'}]")
    attrs = html_attrs(data_type=kind, data_action_id=action_id, data_block_id=block_id)
    return f'<span class="bk-element"{attrs}>{control}</span>'
