"""What every part of the Block Kit renderer shares: who is looking, emoji, Slack's entities and HTML escaping."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# This package is the only place that turns Slack text into HTML, so it is where escaping happens: Slack
# text arrives with `&amp;`, `&lt;` and `&gt;` escaped, is decoded once (`decode_entities`), and every
# character that reaches the output is HTML-escaped again (`escape_html`, text and attributes alike), so
# `<script>` in a title stays text. Anything the renderer does not know becomes a small grey
# `.bk-unknown` note (`unknown_note`), never an exception.


@dataclass(frozen=True)
class RenderContext:
    """Who is looking: their time zone, the names mentions show, and the moment "today" is."""

    viewer_tz: str
    users: Mapping[str, str] = field(default_factory=dict)  # user id -> display name
    channels: Mapping[str, str] = field(default_factory=dict)  # channel id -> name (without `#`)
    now: datetime | None = None  # for {date_pretty}, {ago}…; without it those fall back
    viewer_id: str | None = None  # mentions of the viewer are highlighted, as in Slack
    clock24: bool = False  # {time} as 17:00 instead of 5:00 PM


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
ANGLE_TOKEN = re.compile(r"<([^<>\n]*)>")
SAFE_LINK_URL = re.compile(r"(?:https?://|mailto:)[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)
SAFE_IMAGE_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)


def emoji(name: str) -> str:
    """The character for an emoji shortcode name (`tada` -> 🎉); `:name:` when it is not in the table."""
    if name.startswith("skin-tone-"):
        return ""
    return EMOJI.get(name, f":{name}:")


def emojize(text: str) -> str:
    return _EMOJI_CODE.sub(lambda m: emoji(m[1]), text)


def escape_html(text: str) -> str:
    """HTML-escape text and attribute values alike."""
    return html.escape(text, quote=True)


def decode_entities(text: str) -> str:
    """Decode Slack's three entities exactly once (`&amp;lt;` becomes `&lt;`, shown as typed)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m[1]], text)


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def html_attrs(**values: str | None) -> str:
    """` name="value"` pairs, escaped; `data_x` is written `data-x` (`for_` is `for`); None leaves it out."""
    return "".join(
        f' {key.rstrip("_").replace("_", "-")}="{escape_html(value)}"'
        for key, value in values.items()
        if value is not None
    )


def viewer_zone(ctx: RenderContext) -> tzinfo:
    try:
        return ZoneInfo(ctx.viewer_tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def unknown_note(what: str) -> str:
    return f'<span class="bk-unknown">{escape_html(what)}</span>'
