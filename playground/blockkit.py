"""Block Kit and mrkdwn to HTML: what Slack would show, rendered on the server for the playground page.

Pure functions, no I/O: the page inserts the fragments as they are. This is the only place that
turns Slack text into HTML, so it is where escaping happens: Slack text arrives with `&amp;`,
`&lt;` and `&gt;` escaped, is decoded once, and every character that reaches the output is
HTML-escaped again (text and attributes alike), so `<script>` in a title stays text.

Interactive elements carry the data attributes the page's script uses:

- buttons: `<button class="bk-button [bk-primary|bk-danger]" data-action-id data-block-id data-value>`
  (no `data-value` when the button has none, as Slack sends none);
- inputs in views: `<div class="bk-block bk-input" data-block-id data-action-id data-type>` holding a
  real form control named `<block_id>/<action_id>`, and an empty `.bk-input-error` for the answer
  to `response_action: errors`;
- other elements in messages (selects, pickers, overflow menus): a `.bk-element` wrapper with the
  same three attributes; overflow choices are `.bk-overflow-option` buttons with `data-value`.

A block without a `block_id` gets `b<index>` (its place in the list) and an element without an
`action_id` gets `a<index>` (its place in the block), as Slack fills in ids it was not given.
Anything the renderer does not know becomes a small grey `.bk-unknown` note, never an exception.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "EMOJI",
    "RenderContext",
    "emoji",
    "render_blocks",
    "render_message",
    "render_mrkdwn",
    "render_view",
]


@dataclass(frozen=True)
class RenderContext:
    """Who is looking: their time zone, the names mentions show, and the moment "today" is."""

    viewer_tz: str
    users: Mapping[str, str] = field(default_factory=dict)  # user id -> display name
    channels: Mapping[str, str] = field(default_factory=dict)  # channel id -> name (without `#`)
    now: datetime | None = None  # for {date_pretty}, {ago}…; without it those fall back
    viewer_id: str | None = None  # mentions of the viewer are highlighted, as in Slack
    clock24: bool = False  # {time} as 17:00 instead of 5:00 PM


# --------------------------------------------------------------------------- small pieces

# A small table of the shortcodes Baton and people use most; anything else stays `:name:`.
EMOJI: Mapping[str, str] = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "ballot_box_with_check": "☑️",
    "x": "❌",
    "heavy_multiplication_x": "✖️",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "construction": "🚧",
    "octagonal_sign": "🛑",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "tada": "🎉",
    "clap": "👏",
    "raised_hands": "🙌",
    "pray": "🙏",
    "muscle": "💪",
    "wave": "👋",
    "ok_hand": "👌",
    "eyes": "👀",
    "fire": "🔥",
    "rocket": "🚀",
    "sparkles": "✨",
    "star": "⭐",
    "trophy": "🏆",
    "medal": "🏅",
    "sports_medal": "🏅",
    "100": "💯",
    "heart": "❤️",
    "smile": "😄",
    "slightly_smiling_face": "🙂",
    "grinning": "😀",
    "joy": "😂",
    "thinking_face": "🤔",
    "clock": "🕐",
    "clock1": "🕐",
    "alarm_clock": "⏰",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "stopwatch": "⏱️",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "bell": "🔔",
    "calendar": "📆",
    "date": "📅",
    "spiral_calendar_pad": "🗓️",
    "memo": "📝",
    "pencil": "📝",
    "pushpin": "📌",
    "clipboard": "📋",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "toolbox": "🧰",
    "handshake": "🤝",
    "scales": "⚖️",
    "palm_tree": "🌴",
    "airplane": "✈️",
    "desert_island": "🏝️",
    "face_with_thermometer": "🤒",
    "mask": "😷",
    "house_with_garden": "🏡",
    "headphones": "🎧",
    "beach_with_umbrella": "🏖️",
    "arrow_right": "➡️",
    "arrow_right_hook": "↪️",
    "repeat": "🔁",
    "red_circle": "🔴",
    "large_orange_circle": "🟠",
    "white_circle": "⚪",
    "large_blue_circle": "🔵",
    "large_orange_diamond": "🔶",
    "mag": "🔍",
    "bulb": "💡",
    "speech_balloon": "💬",
    "coffee": "☕",
}

_EMOJI_CODE = re.compile(r":([a-z0-9_+\-']{1,64}):")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# A `<…>` token: mentions, channels, `<!…>` specials and links. Real `<` in Slack text is `&lt;`.
_TOKEN = re.compile(r"<([^<>\n]*)>")
# Private-use characters hold a rendered piece's place while the text around it is formatted.
_HOLD_OPEN, _HOLD_CLOSE = "\ue000", "\ue001"
_HOLD = re.compile("\ue000(\\d+)\ue001")
_PRE = re.compile(r"\n?```(.+?)```\n?", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![A-Za-z0-9*])\*(?=\S)(.+?)(?<=\S)\*(?![A-Za-z0-9*])")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_STRIKE = re.compile(r"(?<![A-Za-z0-9~])~(?=\S)(.+?)(?<=\S)~(?![A-Za-z0-9~])")
_FORMAT_TAG = re.compile(r"<(/?)([bis])>")
_DATE = re.compile(r"date\^(-?\d{1,12})\^([^^]*)(?:\^(.*))?\Z", re.DOTALL)
_DATE_FIELD = re.compile(r"\{(\w+)\}")
_SAFE_LINK = re.compile(r"(?:https?://|mailto:)[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)
_SAFE_IMAGE = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_ISO_TIME = re.compile(r"\d{2}:\d{2}\Z")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]")

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def emoji(name: str) -> str:
    """The character for an emoji shortcode name (`tada` -> 🎉); `:name:` when it is not in the table."""
    if name.startswith("skin-tone-"):
        return ""
    return EMOJI.get(name, f":{name}:")


def _emojize(text: str) -> str:
    return _EMOJI_CODE.sub(lambda m: emoji(m[1]), text)


def _e(text: str) -> str:
    """HTML-escape text and attribute values alike."""
    return html.escape(text, quote=True)


def _decode(text: str) -> str:
    """Decode Slack's three entities exactly once (`&amp;lt;` becomes `&lt;`, shown as typed)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m[1]], text)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _attrs(**values: str | None) -> str:
    """` name="value"` pairs, escaped; `data_x` is written `data-x` (`for_` is `for`); None leaves it out."""
    return "".join(
        f' {key.rstrip("_").replace("_", "-")}="{_e(value)}"' for key, value in values.items() if value is not None
    )


def _zone(ctx: RenderContext) -> tzinfo:
    try:
        return ZoneInfo(ctx.viewer_tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _unknown(what: str) -> str:
    return f'<span class="bk-unknown">{_e(what)}</span>'


# --------------------------------------------------------------------------- dates


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock(moment: datetime, *, seconds: bool, clock24: bool) -> str:
    secs = f":{moment.second:02d}" if seconds else ""
    if clock24:
        return f"{moment.hour:02d}:{moment.minute:02d}{secs}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{secs} {'AM' if moment.hour < 12 else 'PM'}"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = (now - moment).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now"
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
    unit, length = next((name, span) for name, span in units if size >= span)
    count = int(size // length)
    said = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{said} ago" if seconds > 0 else f"in {said}"


def _slack_date(epoch: int, fmt: str, ctx: RenderContext) -> str | None:
    """A `<!date^…>` format string in the viewer's zone, with Slack's tokens; None means "use the fallback"."""
    zone = _zone(ctx)
    try:
        moment = datetime.fromtimestamp(epoch, tz=zone)
    except (OverflowError, OSError, ValueError):
        return None
    now = ctx.now
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    relative: str | None = None
    if now is not None:
        days = (moment.date() - now.astimezone(zone).date()).days
        relative = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days)
    month, weekday = _MONTHS[moment.month - 1], _WEEKDAYS[moment.weekday()]
    plain = {
        "date_num": f"{moment:%Y-%m-%d}",
        "date": f"{month} {_ordinal(moment.day)}, {moment.year}",
        "date_short": f"{month[:3]} {moment.day}, {moment.year}",
        "date_long": f"{weekday}, {month} {_ordinal(moment.day)}, {moment.year}",
        "time": _clock(moment, seconds=False, clock24=ctx.clock24),
        "time_secs": _clock(moment, seconds=True, clock24=ctx.clock24),
    }
    for pretty in ("date", "date_short", "date_long"):
        plain[f"{pretty}_pretty"] = relative or plain[pretty]
    missing = False

    def field_text(match: re.Match[str]) -> str:
        nonlocal missing
        name = match[1]
        if name == "ago":
            if now is None:
                missing = True
                return ""
            return _ago(moment, now)
        shown = plain.get(name)
        if shown is None:
            return match[0]
        if relative and shown == relative and match.start() == 0:
            return shown.capitalize()
        return shown

    text = _DATE_FIELD.sub(field_text, fmt)
    return None if missing else text


def _date_title(epoch: int, ctx: RenderContext) -> str:
    try:
        moment = datetime.fromtimestamp(epoch, tz=_zone(ctx))
    except (OverflowError, OSError, ValueError):
        return ""
    day = f"{_WEEKDAYS[moment.weekday()]}, {_MONTHS[moment.month - 1]} {_ordinal(moment.day)}, {moment.year}"
    return f"{day} at {_clock(moment, seconds=False, clock24=ctx.clock24)} ({ctx.viewer_tz})"


def _date_html(epoch: int, fmt: str, fallback: str, link: str, ctx: RenderContext) -> str:
    shown = _slack_date(epoch, fmt, ctx)
    text = shown if shown is not None else fallback
    try:
        iso = datetime.fromtimestamp(epoch, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        iso = None
    tag = f'<time class="bk-date"{_attrs(datetime=iso, title=_date_title(epoch, ctx) or None)}>{_e(text)}</time>'
    if link and _SAFE_LINK.match(link):
        return f'<a class="bk-link"{_attrs(href=link)} target="_blank" rel="noopener noreferrer">{tag}</a>'
    return tag


# --------------------------------------------------------------------------- mrkdwn


class _Held:
    """Rendered pieces held out of the text while the text around them is formatted."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def hold(self, fragment: str) -> str:
        self.pieces.append(fragment)
        return f"{_HOLD_OPEN}{len(self.pieces) - 1}{_HOLD_CLOSE}"

    def expand(self, text: str) -> str:
        return _HOLD.sub(lambda m: self.pieces[int(m[1])], text)


def _user_mention(user_id: str, label: str, ctx: RenderContext) -> str:
    name = ctx.users.get(user_id) or label.lstrip("@") or user_id
    me = " bk-mention-me" if ctx.viewer_id is not None and user_id == ctx.viewer_id else ""
    return f'<span class="bk-mention bk-user{me}"{_attrs(data_user_id=user_id)}>@{_e(name)}</span>'


def _channel_mention(channel_id: str, label: str, ctx: RenderContext) -> str:
    name = ctx.channels.get(channel_id) or label.lstrip("#") or channel_id
    return f'<span class="bk-mention bk-channel"{_attrs(data_channel_id=channel_id)}>#{_e(name)}</span>'


def _broadcast(name: str) -> str:
    return f'<span class="bk-mention bk-broadcast">@{_e(name)}</span>'


def _usergroup(group_id: str, label: str) -> str:
    name = label.lstrip("@") or group_id
    return f'<span class="bk-mention bk-usergroup"{_attrs(data_usergroup_id=group_id)}>@{_e(name)}</span>'


def _link(url: str, label: str) -> str:
    if _SAFE_LINK.match(url):
        return f'<a class="bk-link"{_attrs(href=url)} target="_blank" rel="noopener noreferrer">{_e(label)}</a>'
    return _e(label)


def _token(body: str, ctx: RenderContext) -> str:
    """One `<…>` token as HTML: a mention, a channel, a special mention, a date or a link."""
    target, _, raw_label = body.partition("|")
    label = _decode(raw_label)
    if target.startswith("@"):
        return _user_mention(target[1:], label, ctx)
    if target.startswith("#"):
        return _channel_mention(target[1:], label, ctx)
    if target.startswith("!"):
        special = target[1:]
        if special.startswith("date^"):
            match = _DATE.match(special)
            if match is None:
                return f'<span class="bk-date">{_e(label)}</span>'
            fmt, link = _decode(match[2]), _decode(match[3] or "")
            return _date_html(int(match[1]), fmt, label, link, ctx)
        if special.startswith("subteam^"):
            return _usergroup(special.removeprefix("subteam^"), label)
        if special in ("here", "channel", "everyone"):
            return _broadcast(special)
        return _e(label or special)
    url = _decode(target)
    return _link(url, _emojize(label) if label else url)


def _balanced(fragment: str) -> bool:
    """Whether the `<b>`, `<i>` and `<s>` tags in a fragment close in order."""
    open_tags: list[str] = []
    for match in _FORMAT_TAG.finditer(fragment):
        if not match[1]:
            open_tags.append(match[2])
        elif not open_tags or open_tags.pop() != match[2]:
            return False
    return not open_tags


def _wrap(pattern: re.Pattern[str], tag: str, text: str) -> str:
    """Apply one kind of formatting, never across a tag another kind opened (`*_*_` stays as typed)."""

    def wrapped(match: re.Match[str]) -> str:
        return f"<{tag}>{match[1]}</{tag}>" if _balanced(match[1]) else match[0]

    return pattern.sub(wrapped, text)


def _inline(line: str) -> str:
    """Escape one line and apply *bold*, _italic_ and ~strike~."""
    text = _wrap(_BOLD, "b", _e(line))
    text = _wrap(_ITALIC, "i", text)
    return _wrap(_STRIKE, "s", text)


def _quote(lines: Sequence[str]) -> str:
    return '<blockquote class="bk-quote">' + "<br>".join(_inline(line) for line in lines) + "</blockquote>"


def render_mrkdwn(text: str, *, ctx: RenderContext) -> str:
    """Slack mrkdwn as an HTML fragment: formatting, quotes, links, mentions, dates and emoji."""
    held = _Held()
    raw = text.replace(_HOLD_OPEN, "\ufffd").replace(_HOLD_CLOSE, "\ufffd")
    parts: list[str] = []
    position = 0
    for match in _TOKEN.finditer(raw):
        parts.append(_decode(raw[position : match.start()]))
        parts.append(held.hold(_token(match[1], ctx)))
        position = match.end()
    parts.append(_decode(raw[position:]))
    source = "".join(parts)
    source = _PRE.sub(lambda m: held.hold(f'<pre class="bk-pre">{held.expand(_e(m[1].strip(chr(10))))}</pre>'), source)
    source = _CODE.sub(lambda m: held.hold(f'<code class="bk-code">{held.expand(_e(m[1]))}</code>'), source)
    source = _emojize(source)

    out: list[str] = []
    plain: list[str] = []
    quoted: list[str] = []

    def flush_plain() -> None:
        if plain:
            out.append("<br>".join(_inline(line) for line in plain))
            plain.clear()

    def flush_quote() -> None:
        if quoted:
            out.append(_quote(quoted))
            quoted.clear()

    lines = source.split("\n")
    for index, line in enumerate(lines):
        if line.startswith(">>>"):
            flush_plain()
            flush_quote()
            quoted.extend([line[3:].lstrip(" "), *lines[index + 1 :]])
            break
        if line.startswith(">"):
            flush_plain()
            quoted.append(line[1:].removeprefix(" "))
        else:
            flush_quote()
            plain.append(line)
    flush_plain()
    flush_quote()
    return held.expand("".join(out))


def _plain_html(text: str, *, emoji_on: bool = True) -> str:
    shown = _emojize(text) if emoji_on else text
    return _e(shown).replace("\n", "<br>")


def _text(obj: Any, ctx: RenderContext) -> str:
    """A text object (`mrkdwn` or `plain_text`) as HTML; anything else is empty."""
    if isinstance(obj, str):
        return _plain_html(obj)
    node = _map(obj)
    text = _str(node.get("text"))
    if node.get("type") == "mrkdwn":
        return render_mrkdwn(text, ctx=ctx)
    return _plain_html(text, emoji_on=node.get("emoji") is not False)


def _text_plain(obj: Any) -> str:
    """The words of a text object without markup, for `<option>` and attributes."""
    if isinstance(obj, str):
        return _emojize(obj)
    node = _map(obj)
    text = _str(node.get("text"))
    if node.get("type") == "mrkdwn":
        text = _decode(_TOKEN.sub(lambda m: m[1].partition("|")[2] or m[1], text))
    return _emojize(text)


# --------------------------------------------------------------------------- elements


def _action_id(element: Mapping[str, Any], index: int) -> str:
    return _str(element.get("action_id")) or f"a{index}"


def _button(element: Mapping[str, Any], block_id: str, index: int, ctx: RenderContext) -> str:
    style = element.get("style")
    css = "bk-button" + {"primary": " bk-primary", "danger": " bk-danger"}.get(_str(style), "")
    value = element.get("value")
    url = _str(element.get("url"))
    confirm = _map(element.get("confirm"))
    attrs = _attrs(
        data_action_id=_action_id(element, index),
        data_block_id=block_id,
        data_value=value if isinstance(value, str) else None,
        data_url=url if _SAFE_LINK.match(url) else None,
        data_confirm=_text_plain(confirm.get("text")) or None if confirm else None,
    )
    return f'<button type="button" class="{css}"{attrs}>{_text(element.get("text"), ctx)}</button>'


def _overflow(element: Mapping[str, Any], block_id: str, index: int) -> str:
    action_id = _action_id(element, index)
    choices = "".join(
        f'<button type="button" class="bk-overflow-option"'
        f"{_attrs(data_action_id=action_id, data_block_id=block_id, data_value=_str(option.get('value')))}>"
        f"{_e(_text_plain(option.get('text')))}</button>"
        for option in map(_map, _list(element.get("options")))
    )
    wrapper = _attrs(data_type="overflow", data_action_id=action_id, data_block_id=block_id)
    return (
        f'<details class="bk-element bk-overflow"{wrapper}>'
        '<summary class="bk-overflow-toggle" aria-label="More actions">⋯</summary>'
        f'<div class="bk-overflow-menu">{choices}</div></details>'
    )


def _image(element: Mapping[str, Any], css: str) -> str:
    url = _str(element.get("image_url"))
    alt = _str(element.get("alt_text"))
    if not _SAFE_IMAGE.match(url):
        return f'<span class="{css} bk-image-missing">{_e(alt or "image")}</span>'
    return f'<img class="{css}"{_attrs(src=url, alt=alt, title=alt or None)} loading="lazy">'


def _option_list(element: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(_str(option.get("value")), option) for option in map(_map, _list(element.get("options")))]


def _select_options(
    choices: Iterable[tuple[str, str]], selected: set[str], placeholder: str | None, *, multiple: bool
) -> str:
    shown = [] if multiple else [f'<option value="">{_e(placeholder or "Select an item")}</option>']
    for value, label in choices:
        mark = " selected" if value in selected else ""
        shown.append(f"<option{_attrs(value=value)}{mark}>{_e(label)}</option>")
    return "".join(shown)


def _static_choices(element: Mapping[str, Any]) -> str:
    """`<option>`s and `<optgroup>`s of a static select, with the initial option(s) selected."""
    selected = {_str(_map(element.get("initial_option")).get("value"))}
    selected |= {_str(_map(option).get("value")) for option in _list(element.get("initial_options"))}
    selected.discard("")
    multiple = element.get("type") == "multi_static_select"
    placeholder = _text_plain(element.get("placeholder"))
    groups = [_map(group) for group in _list(element.get("option_groups"))]
    if not groups:
        choices = [(value, _text_plain(option.get("text"))) for value, option in _option_list(element)]
        return _select_options(choices, selected, placeholder, multiple=multiple)
    shown = _select_options([], selected, placeholder, multiple=multiple)
    for group in groups:
        choices = [(value, _text_plain(option.get("text"))) for value, option in _option_list(group)]
        inner = _select_options(choices, selected, None, multiple=True)
        shown += f"<optgroup{_attrs(label=_text_plain(group.get('label')))}>{inner}</optgroup>"
    return shown


def _people_choices(element: Mapping[str, Any], ctx: RenderContext) -> str:
    multiple = element.get("type") == "multi_users_select"
    selected = {_str(element.get("initial_user"))} | {_str(u) for u in _list(element.get("initial_users"))}
    selected.discard("")
    names = dict(ctx.users)
    for user_id in sorted(selected - names.keys()):
        names[user_id] = user_id
    choices = sorted(((uid, f"@{name}") for uid, name in names.items()), key=lambda c: (c[1].lower(), c[0]))
    placeholder = _text_plain(element.get("placeholder"))
    return _select_options(choices, selected, placeholder, multiple=multiple)


def _channel_choices(element: Mapping[str, Any], ctx: RenderContext) -> str:
    multiple = str(element.get("type")).startswith("multi_")
    selected = {_str(element.get(key)) for key in ("initial_conversation", "initial_channel")}
    for key in ("initial_conversations", "initial_channels"):
        selected |= {_str(c) for c in _list(element.get(key))}
    selected.discard("")
    names = dict(ctx.channels)
    for channel_id in sorted(selected - names.keys()):
        names[channel_id] = channel_id
    choices = sorted(((cid, f"#{name}") for cid, name in names.items()), key=lambda c: (c[1].lower(), c[0]))
    placeholder = _text_plain(element.get("placeholder"))
    return _select_options(choices, selected, placeholder, multiple=multiple)


def _choices(element: Mapping[str, Any], name: str, dom_id: str, ctx: RenderContext, required: bool) -> str:
    """Checkboxes or radio buttons, each a real `<input>` named `name`."""
    radio = element.get("type") == "radio_buttons"
    selected = {_str(_map(element.get("initial_option")).get("value"))}
    selected |= {_str(_map(option).get("value")) for option in _list(element.get("initial_options"))}
    selected.discard("")
    items: list[str] = []
    for number, (value, option) in enumerate(_option_list(element)):
        marks = (" checked" if value in selected else "") + (" required" if radio and required and not number else "")
        description = option.get("description")
        extra = f'<span class="bk-choice-description">{_text(description, ctx)}</span>' if description else ""
        items.append(
            f'<label class="bk-choice"><input type="{"radio" if radio else "checkbox"}"'
            f"{_attrs(name=name, value=value)}{marks}>"
            f'<span class="bk-choice-text">{_text(option.get("text"), ctx)}</span>{extra}</label>'
        )
    return f'<div class="bk-choices"{_attrs(id=dom_id)}>{"".join(items)}</div>'


def _local_datetime(epoch: Any, ctx: RenderContext) -> str | None:
    if not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    try:
        return f"{datetime.fromtimestamp(epoch, tz=_zone(ctx)):%Y-%m-%dT%H:%M}"
    except (OverflowError, OSError, ValueError):
        return None


def _number(value: Any) -> str | None:
    if isinstance(value, int | float | str) and not isinstance(value, bool) and str(value).strip():
        return str(value)
    return None


def _control(
    element: Mapping[str, Any], block_id: str, action_id: str, ctx: RenderContext, *, required: bool
) -> str | None:
    """The real form control for an element, named `<block_id>/<action_id>`; None for unknown types."""
    kind = _str(element.get("type"))
    name = f"{block_id}/{action_id}"
    dom_id = "bk-" + _NOT_ID.sub("_", f"{block_id}-{action_id}")
    need = " required" if required else ""
    placeholder = _text_plain(element.get("placeholder")) or None
    base = _attrs(id=dom_id, name=name)
    if kind == "plain_text_input":
        limits = _attrs(maxlength=_number(element.get("max_length")), minlength=_number(element.get("min_length")))
        initial = _str(element.get("initial_value"))
        if element.get("multiline") is True:
            extra = _attrs(placeholder=placeholder)
            return f'<textarea class="bk-control" rows="4"{base}{limits}{extra}{need}>{_e(initial)}</textarea>'
        extra = _attrs(value=initial, placeholder=placeholder)
        return f'<input class="bk-control" type="text"{base}{limits}{extra}{need}>'
    simple = {"email_text_input": "email", "url_text_input": "url", "number_input": "number"}
    if kind in simple:
        step = "any" if element.get("is_decimal_allowed") is True else None
        extra = _attrs(
            value=_number(element.get("initial_value")),
            placeholder=placeholder,
            min=_number(element.get("min_value")) if kind == "number_input" else None,
            max=_number(element.get("max_value")) if kind == "number_input" else None,
            step=step if kind == "number_input" else None,
        )
        return f'<input class="bk-control" type="{simple[kind]}"{base}{extra}{need}>'
    if kind == "datepicker":
        initial = _str(element.get("initial_date"))
        extra = _attrs(value=initial if _ISO_DATE.match(initial) else None)
        return f'<input class="bk-control" type="date"{base}{extra}{need}>'
    if kind == "timepicker":
        initial = _str(element.get("initial_time"))
        extra = _attrs(value=initial if _ISO_TIME.match(initial) else None)
        return f'<input class="bk-control" type="time"{base}{extra}{need}>'
    if kind == "datetimepicker":
        extra = _attrs(value=_local_datetime(element.get("initial_date_time"), ctx))
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


def _element(element: Any, block_id: str, index: int, ctx: RenderContext) -> str:
    """An interactive element (or image) in a section accessory, an actions block or a context."""
    node = _map(element)
    kind = _str(node.get("type"))
    if kind == "button":
        return _button(node, block_id, index, ctx)
    if kind == "overflow":
        return _overflow(node, block_id, index)
    if kind == "image":
        return _image(node, "bk-accessory-image")
    action_id = _action_id(node, index)
    control = _control(node, block_id, action_id, ctx, required=False)
    if control is None:
        return _unknown(_text_plain(node.get("placeholder")) or _text_plain(node.get("text")) or f"[{kind or '?'}]")
    attrs = _attrs(data_type=kind, data_action_id=action_id, data_block_id=block_id)
    return f'<span class="bk-element"{attrs}>{control}</span>'


# --------------------------------------------------------------------------- rich text


def _rich_piece(piece: Mapping[str, Any], ctx: RenderContext) -> str:
    kind = _str(piece.get("type"))
    style = _map(piece.get("style"))
    if kind == "text":
        shown = _e(_str(piece.get("text"))).replace("\n", "<br>")
    elif kind == "link":
        url = _str(piece.get("url"))
        shown = _link(url, _str(piece.get("text")) or url)
    elif kind == "user":
        shown = _user_mention(_str(piece.get("user_id")), "", ctx)
    elif kind == "channel":
        shown = _channel_mention(_str(piece.get("channel_id")), "", ctx)
    elif kind == "usergroup":
        shown = _usergroup(_str(piece.get("usergroup_id")), "")
    elif kind == "broadcast":
        shown = _broadcast(_str(piece.get("range")) or "here")
    elif kind == "emoji":
        name = _str(piece.get("name"))
        code = _str(piece.get("unicode"))
        try:
            shown = _e("".join(chr(int(part, 16)) for part in code.split("-"))) if code else _e(emoji(name))
        except ValueError:
            shown = _e(emoji(name))
    elif kind == "date":
        stamp = piece.get("timestamp")
        epoch = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
        fallback = _str(piece.get("fallback"))
        shown = _date_html(epoch, _str(piece.get("format")), fallback, _str(piece.get("url")), ctx)
    else:
        return _unknown(f"[{kind or '?'}]")
    for key, tag in (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b")):
        if style.get(key) is True:
            css = ' class="bk-code"' if tag == "code" else ""
            shown = f"<{tag}{css}>{shown}</{tag}>"
    return shown


def _rich_section(node: Mapping[str, Any], ctx: RenderContext) -> str:
    return "".join(_rich_piece(_map(piece), ctx) for piece in _list(node.get("elements")))


def _rich_part(node: Mapping[str, Any], ctx: RenderContext) -> str:
    kind = _str(node.get("type"))
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
        items = "".join(f"<li>{_rich_section(_map(item), ctx)}</li>" for item in _list(node.get("elements")))
        return f'<{tag} class="bk-rt-list bk-indent-{depth}">{items}</{tag}>'
    return _unknown(f"[{kind or '?'}]")


# --------------------------------------------------------------------------- blocks


def _section(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    parts: list[str] = []
    if block.get("text") is not None:
        parts.append(f'<div class="bk-text">{_text(block.get("text"), ctx)}</div>')
    fields = [f'<div class="bk-field">{_text(f, ctx)}</div>' for f in _list(block.get("fields"))]
    if fields:
        parts.append(f'<div class="bk-fields">{"".join(fields)}</div>')
    accessory = block.get("accessory")
    side = f'<div class="bk-accessory">{_element(accessory, block_id, 0, ctx)}</div>' if accessory else ""
    return (
        f'<div class="bk-block bk-section"{_attrs(data_block_id=block_id)}>'
        f'<div class="bk-section-body">{"".join(parts)}</div>{side}</div>'
    )


def _context(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    items: list[str] = []
    for element in map(_map, _list(block.get("elements"))):
        if element.get("type") == "image":
            items.append(_image(element, "bk-context-image"))
        else:
            items.append(f'<span class="bk-context-text">{_text(element, ctx)}</span>')
    return f'<div class="bk-block bk-context"{_attrs(data_block_id=block_id)}>{"".join(items)}</div>'


def _divider(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    return f'<hr class="bk-block bk-divider"{_attrs(data_block_id=block_id)}>'


def _header(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    return f'<h3 class="bk-block bk-header"{_attrs(data_block_id=block_id)}>{_text(block.get("text"), ctx)}</h3>'


def _actions(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    elements = "".join(_element(e, block_id, i, ctx) for i, e in enumerate(_list(block.get("elements"))))
    return f'<div class="bk-block bk-actions"{_attrs(data_block_id=block_id)}>{elements}</div>'


def _image_block(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    title = block.get("title")
    caption = f'<figcaption class="bk-image-title">{_text(title, ctx)}</figcaption>' if title else ""
    image = _image(block, "bk-image-img")
    return f'<figure class="bk-block bk-image"{_attrs(data_block_id=block_id)}>{caption}{image}</figure>'


def _input(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    element = _map(block.get("element"))
    kind = _str(element.get("type"))
    action_id = _action_id(element, 0)
    optional = block.get("optional") is True
    control = _control(element, block_id, action_id, ctx, required=not optional)
    if control is None:
        control = _unknown(_text_plain(element.get("placeholder")) or f"[{kind or '?'}]")
    dom_id = "bk-" + _NOT_ID.sub("_", f"{block_id}-{action_id}")
    label = _text(block.get("label"), ctx)
    if optional:
        label += ' <span class="bk-optional">(optional)</span>'
    hint = block.get("hint")
    hint_html = f'<div class="bk-hint">{_text(hint, ctx)}</div>' if hint else ""
    attrs = _attrs(
        data_block_id=block_id,
        data_action_id=action_id,
        data_type=kind,
        data_optional="true" if optional else "false",
    )
    return (
        f'<div class="bk-block bk-input"{attrs}>'
        f'<label class="bk-label"{_attrs(for_=dom_id)}>{label}</label>'
        f'{control}{hint_html}<div class="bk-input-error" hidden></div></div>'
    )


def _rich_text(block: Mapping[str, Any], block_id: str, ctx: RenderContext) -> str:
    parts = "".join(_rich_part(_map(part), ctx) for part in _list(block.get("elements")))
    return f'<div class="bk-block bk-rich-text"{_attrs(data_block_id=block_id)}>{parts}</div>'


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
    node = _map(block)
    kind = _str(node.get("type"))
    render = _BLOCKS.get(kind)
    if render is None:
        note = f"This {kind} block cannot be shown here." if kind else "This block cannot be shown here."
        return f'<div class="bk-block bk-unknown">{_e(note)}</div>'
    return render(node, _str(node.get("block_id")) or f"b{index}", ctx)


def render_blocks(blocks: Sequence[Mapping[str, Any]], *, ctx: RenderContext) -> str:
    """A message's blocks as one HTML fragment (`<div class="bk-blocks">…</div>`)."""
    body = "".join(_block(block, index, ctx) for index, block in enumerate(_list(blocks)))
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
    node = _map(view)
    kind = _str(node.get("type")) or "modal"
    blocks = render_blocks(_list(node.get("blocks")), ctx=ctx)
    callback_id = _str(node.get("callback_id"))
    if kind == "home":
        return f'<form class="bk-view bk-home"{_attrs(data_type="home", data_callback_id=callback_id)}>{blocks}</form>'
    title = _text_plain(node.get("title"))
    close = _text_plain(node.get("close")) or "Cancel"
    submit = _text_plain(node.get("submit"))
    attrs = _attrs(data_type=kind, data_callback_id=callback_id, data_title=title, data_submit=submit, data_close=close)
    css = "bk-modal" if kind == "modal" else "bk-unknown-view"
    return f'<form class="bk-view {css}"{attrs}><h2 class="bk-view-title">{_e(title)}</h2>{blocks}</form>'
