"""Slack text to HTML: mrkdwn (formatting, quotes, mentions, links, dates, emoji) and Block Kit text objects."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from playground.blockkit.dates import DATE_TOKEN, date_html
from playground.blockkit.markup import (
    ANGLE_TOKEN,
    SAFE_LINK_URL,
    RenderContext,
    as_map,
    as_str,
    decode_entities,
    emojize,
    escape_html,
    html_attrs,
)

# Private-use characters hold a rendered piece's place while the text around it is formatted.
_HOLD_OPEN, _HOLD_CLOSE = "\ue000", "\ue001"
_HOLD = re.compile("\ue000(\\d+)\ue001")
_PRE = re.compile(r"\n?```(.+?)```\n?", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"(?<![A-Za-z0-9*])\*(?=\S)(.+?)(?<=\S)\*(?![A-Za-z0-9*])")
_ITALIC = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_STRIKE = re.compile(r"(?<![A-Za-z0-9~])~(?=\S)(.+?)(?<=\S)~(?![A-Za-z0-9~])")
_FORMAT_TAG = re.compile(r"<(/?)([bis])>")


class _Placeholders:
    """Rendered HTML fragments (mentions, links, code) held out of the text, each standing in it as a placeholder
    of private-use characters, while the text around them is formatted; `expand` puts them back."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def hold(self, fragment: str) -> str:
        self.pieces.append(fragment)
        return f"{_HOLD_OPEN}{len(self.pieces) - 1}{_HOLD_CLOSE}"

    def expand(self, text: str) -> str:
        return _HOLD.sub(lambda m: self.pieces[int(m[1])], text)


def user_mention(user_id: str, label: str, ctx: RenderContext) -> str:
    name = ctx.users.get(user_id) or label.lstrip("@") or user_id
    me = " bk-mention-me" if ctx.viewer_id is not None and user_id == ctx.viewer_id else ""
    return f'<span class="bk-mention bk-user{me}"{html_attrs(data_user_id=user_id)}>@{escape_html(name)}</span>'


def channel_mention(channel_id: str, label: str, ctx: RenderContext) -> str:
    name = ctx.channels.get(channel_id) or label.lstrip("#") or channel_id
    return f'<span class="bk-mention bk-channel"{html_attrs(data_channel_id=channel_id)}>#{escape_html(name)}</span>'


def broadcast_mention(name: str) -> str:
    return f'<span class="bk-mention bk-broadcast">@{escape_html(name)}</span>'


def usergroup_mention(group_id: str, label: str) -> str:
    name = label.lstrip("@") or group_id
    return f'<span class="bk-mention bk-usergroup"{html_attrs(data_usergroup_id=group_id)}>@{escape_html(name)}</span>'


def link_html(url: str, label: str) -> str:
    if SAFE_LINK_URL.match(url):
        shown = escape_html(label)
        return f'<a class="bk-link"{html_attrs(href=url)} target="_blank" rel="noopener noreferrer">{shown}</a>'
    return escape_html(label)


def _token(body: str, ctx: RenderContext) -> str:
    """One `<…>` token as HTML: a mention, a channel, a special mention, a date or a link."""
    target, _, raw_label = body.partition("|")
    label = decode_entities(raw_label)
    if target.startswith("@"):
        return user_mention(target[1:], label, ctx)
    if target.startswith("#"):
        return channel_mention(target[1:], label, ctx)
    if target.startswith("!"):
        special = target[1:]
        if special.startswith("date^"):
            match = DATE_TOKEN.match(special)
            if match is None:
                return f'<span class="bk-date">{escape_html(label)}</span>'
            fmt, link = decode_entities(match[2]), decode_entities(match[3] or "")
            return date_html(int(match[1]), fmt, label, link, ctx)
        if special.startswith("subteam^"):
            return usergroup_mention(special.removeprefix("subteam^"), label)
        if special in ("here", "channel", "everyone"):
            return broadcast_mention(special)
        return escape_html(label or special)
    url = decode_entities(target)
    return link_html(url, emojize(label) if label else url)


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
    text = _wrap(_BOLD, "b", escape_html(line))
    text = _wrap(_ITALIC, "i", text)
    return _wrap(_STRIKE, "s", text)


def _quote(lines: Sequence[str]) -> str:
    return '<blockquote class="bk-quote">' + "<br>".join(_inline(line) for line in lines) + "</blockquote>"


def render_mrkdwn(text: str, *, ctx: RenderContext) -> str:
    """Slack mrkdwn as an HTML fragment: formatting, quotes, links, mentions, dates and emoji."""
    held = _Placeholders()
    raw = text.replace(_HOLD_OPEN, "\ufffd").replace(_HOLD_CLOSE, "\ufffd")
    parts: list[str] = []
    position = 0
    for match in ANGLE_TOKEN.finditer(raw):
        parts.append(decode_entities(raw[position : match.start()]))
        parts.append(held.hold(_token(match[1], ctx)))
        position = match.end()
    parts.append(decode_entities(raw[position:]))
    source = "".join(parts)
    source = _PRE.sub(
        lambda m: held.hold(f'<pre class="bk-pre">{held.expand(escape_html(m[1].strip(chr(10))))}</pre>'), source
    )
    source = _CODE.sub(lambda m: held.hold(f'<code class="bk-code">{held.expand(escape_html(m[1]))}</code>'), source)
    source = emojize(source)

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
    shown = emojize(text) if emoji_on else text
    return escape_html(shown).replace("\n", "<br>")


def text_html(obj: Any, ctx: RenderContext) -> str:
    """A text object (`mrkdwn` or `plain_text`) as HTML; anything else is empty."""
    if isinstance(obj, str):
        return _plain_html(obj)
    node = as_map(obj)
    text = as_str(node.get("text"))
    if node.get("type") == "mrkdwn":
        return render_mrkdwn(text, ctx=ctx)
    return _plain_html(text, emoji_on=node.get("emoji") is not False)


def text_plain(obj: Any) -> str:
    """The words of a text object without markup, for `<option>` and attributes."""
    if isinstance(obj, str):
        return emojize(obj)
    node = as_map(obj)
    text = as_str(node.get("text"))
    if node.get("type") == "mrkdwn":
        text = decode_entities(ANGLE_TOKEN.sub(lambda m: m[1].partition("|")[2] or m[1], text))
    return emojize(text)
