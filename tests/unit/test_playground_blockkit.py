"""The playground's Block Kit renderer: Baton's real messages and views as HTML, escaped, in the viewer's zone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import OutboxKind, Outgoing, Priority, TaskStatus, TaskView, TeamOption
from bot.domain.payloads import CelebrationPayload, from_json
from bot.domain.status import AWAY_EMOJI, SlackStatus
from handlers import ids
from handlers.blocks.cards import assignment, task_created
from handlers.blocks.checkins import checkin
from handlers.blocks.home import home_view
from handlers.blocks.modals import new_task_modal, notice_modal, reason_modal
from handlers.blocks.outbox import render_outbox
from playground.blockkit import RenderContext, emoji, render_blocks, render_message, render_mrkdwn, render_view
from playground.demo import STATUS_EMOJI

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 12:00 PM Fri in New York, 2:00 AM Sat in Tokyo
PEOPLE = {"U1": "Mia Manager", "U2": "Ana Agent", "U3": "Ben Berlin", "U10": "Toshi Tokyo", "U11": "Nia York"}
CHANNELS = {"C9": "team-alpha", "C10": "team-beta"}
NEW_YORK = RenderContext("America/New_York", PEOPLE, CHANNELS, now=NOW)
TOKYO = RenderContext("Asia/Tokyo", PEOPLE, CHANNELS, now=NOW)
EPOCH = 1700000000  # 2023-11-14 22:13:20 UTC: 5:13 PM Tue in New York, 7:13 AM Wed in Tokyo
CSS = Path(__file__).resolve().parents[2] / "playground" / "static" / "blockkit.css"
SEEN_CLASSES: set[str] = set()


# --------------------------------------------------------------------------- a small DOM for assertions

VOID = {"br", "hr", "img", "input"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        """Visible text, `<br>` as a newline."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append("\n")
            elif child.tag not in ("option",) or "selected" in child.attrs:
                parts.append(child.text())
        return "".join(parts)

    def words(self) -> str:
        return " ".join(self.text().split())

    def walk(self) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                found.extend(child.walk())
        return found

    def all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.walk()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(key.replace("_", "-")) == value for key, value in attrs.items())
        ]

    def one(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [Node("#root")]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom(fragment: str) -> Node:
    """Parse a fragment, checking every tag is closed in order; remembers the classes used."""
    tree = _Tree()
    tree.feed(fragment)
    tree.close()
    assert len(tree.stack) == 1, f"unclosed <{tree.stack[-1].tag}>"
    root = tree.stack[0]
    for node in root.walk():
        SEEN_CLASSES.update(node.classes)
    return root


def md(text: str, ctx: RenderContext = NEW_YORK) -> Node:
    return dom(render_mrkdwn(text, ctx=ctx))


def message(built: Any, ctx: RenderContext = NEW_YORK) -> Node:
    return dom(render_blocks(list(built.blocks), ctx=ctx))


def make_task(**overrides: Any) -> TaskView:
    fields: dict[str, Any] = {
        "id": 7,
        "workspace_id": "T1",
        "number": 12,
        "title": "Fix login",
        "details": "The form rejects valid passwords.",
        "assignee_id": "U2",
        "delegator_id": "U1",
        "priority": Priority.HIGH,
        "status": TaskStatus.OPEN,
        "created_at": NOW - timedelta(days=2),
        "due_at": DUE,
        "team_id": 1,
        "team_channel_id": "C9",
    }
    fields.update(overrides)
    return TaskView(**fields)


def buttons(node: Node) -> list[tuple[str, str, str | None, str | None, str | None]]:
    """(label, style classes, action id, block id, value) of every button."""
    return [
        (
            b.words(),
            " ".join(sorted(b.classes - {"bk-button"})),
            b.attrs.get("data-action-id"),
            b.attrs.get("data-block-id"),
            b.attrs.get("data-value"),
        )
        for b in node.all("button", "bk-button")
    ]


# --------------------------------------------------------------------------- Baton's messages


def test_task_created_shows_headline_assignee_due_and_priority() -> None:
    shown = message(task_created(make_task(), now=NOW))
    section = shown.one(cls="bk-section").words()
    assert section == "✅ Created 🟠 T-12 Fix login Delegated to @Ana Agent; they get a DM to accept it."
    assert shown.one("b").words() == "T-12"
    assert shown.one(cls="bk-user", data_user_id="U2").words() == "@Ana Agent"
    context = shown.one(cls="bk-context")
    assert [item.words() for item in context.all(cls="bk-context-text")] == [
        "Due Dec 4, 2026 at 12:00 PM",
        "🟠 High priority",
    ]


def test_the_same_deadline_shows_each_viewers_wall_time() -> None:
    built = task_created(make_task(), now=NOW)
    new_york = message(built, NEW_YORK).one("time")
    tokyo = message(built, TOKYO).one("time")
    assert new_york.words() == "Dec 4, 2026 at 12:00 PM"
    assert tokyo.words() == "Dec 5, 2026 at 2:00 AM"
    assert new_york.attrs["datetime"] == tokyo.attrs["datetime"] == "2026-12-04T17:00:00+00:00"
    assert "Asia/Tokyo" in (tokyo.attrs["title"] or "")


def test_a_deadline_today_or_tomorrow_reads_so_in_the_viewers_zone() -> None:
    due = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # Tue 10:00 PM in New York, Wed 12:00 PM in Tokyo
    built = task_created(make_task(due_at=due), now=NOW)  # NOW is Tue 7:00 AM NY, Tue 9:00 PM Tokyo
    assert message(built, NEW_YORK).one("time").words() == "Today at 10:00 PM"
    assert message(built, TOKYO).one("time").words() == "Tomorrow at 12:00 PM"


def test_assignment_dm_has_accept_and_decline_buttons_with_their_ids() -> None:
    shown = message(assignment(make_task(), now=NOW))
    assert "@Mia Manager delegated a task to you" in shown.words()
    assert "The form rejects valid passwords." in shown.words()
    fields = [f.text().strip() for f in shown.all(cls="bk-field")]
    assert fields == ["Due\nDec 4, 2026 at 12:00 PM", "Priority\n🟠 High", "Team\n#team-alpha"]
    block_id = f"{ids.ACTION_ACCEPT}-7"
    assert buttons(shown) == [
        ("Accept", "bk-primary", ids.ACTION_ACCEPT, block_id, "7"),
        ("Decline", "bk-danger", ids.ACTION_DECLINE, block_id, "7"),
    ]
    assert shown.one(cls="bk-actions").attrs["data-block-id"] == block_id


def test_checkin_dm_has_on_track_blocked_done_and_later() -> None:
    shown = message(checkin(make_task(status=TaskStatus.ACCEPTED), now=NOW))
    assert shown.all(cls="bk-section")[0].text().strip() == "🔔 Check-in: how is T-12 going?\n🟠 T-12 Fix login"
    block_id = f"{ids.ACTION_CHECKIN_ON_TRACK}-7"
    assert buttons(shown) == [
        ("👍 On track", "", ids.ACTION_CHECKIN_ON_TRACK, block_id, "7"),
        ("🚧 Blocked", "", ids.ACTION_CHECKIN_BLOCKED, block_id, "7"),
        ("✅ Done", "bk-primary", ids.ACTION_CHECKIN_DONE, block_id, "7"),
        ("⏰ Later", "", ids.ACTION_CHECKIN_LATER, block_id, "7"),
    ]
    contexts = [c.words() for c in shown.all(cls="bk-context")]
    assert contexts[-1] == "A reaction on this message also answers: ✅ done, 👍 on track, 🚧 blocked."


def test_celebration_names_who_finished_how_early_and_quotes_the_note() -> None:
    task = make_task(status=TaskStatus.DONE, done_at=NOW)
    row = Outgoing(
        kind=OutboxKind.CELEBRATION,
        dedupe_key="celebrate:7",
        recipient_id="C9",
        task=task,
        payload=CelebrationPayload(actor_id="U2", note="Shipped *it* & <!channel>"),
    )
    shown = message(render_outbox(row, now=NOW))
    assert shown.all(cls="bk-section")[0].words() == "🎉 @Ana Agent finished T-12 Fix login — 3 days early"
    quote = shown.one("blockquote", "bk-quote")
    # as in Slack: typed `*…*` is bold (Baton escapes only &, < and >), a typed <!channel> is text
    assert quote.words() == "Shipped it & <!channel>" and quote.one("b").words() == "it"
    assert not shown.all(cls="bk-broadcast")


def test_weekly_recognition_lists_what_each_person_finished() -> None:
    row = Outgoing(
        kind=OutboxKind.RECOGNITION,
        dedupe_key="recognition:C9",
        recipient_id="C9",
        payload=from_json(
            OutboxKind.RECOGNITION,
            {
                "team_channel_id": "C9",
                "since": "2026-11-27T21:00:00+00:00",
                "finished": [{"user_id": "U10", "count": 3, "on_time": 2, "titles": ["Ship it", "Docs", "Fix CI"]}],
                "streaks": [{"user_id": "U10", "streak": 5}],
                "kudos": [{"user_id": "U11", "count": 4}],
            },
        ),
    )
    built = render_outbox(row, now=NOW)
    shown = message(built, TOKYO)
    assert shown.one("h3", "bk-header").words() == "🏆 Weekly recognition"
    words = shown.words()
    assert "What the team got done since Nov 28, 2026 at 6:00 AM in #team-alpha:" in words
    assert "• @Toshi Tokyo finished 3 tasks, 2 on time: Ship it, Docs, Fix CI" in words
    assert "🔥 @Toshi Tokyo: 5 tasks in a row on time" in words
    assert "👏 @Nia York got 4 kudos" in words
    assert "Nov 27, 2026 at 4:00 PM" in message(built, NEW_YORK).words()


def test_home_view_has_a_new_task_button_and_a_done_button_per_task_of_mine() -> None:
    mine = make_task(status=TaskStatus.ACCEPTED)
    delegated = make_task(id=8, number=13, title="Write docs", assignee_id="U3", delegator_id="U2")
    view = home_view(mine=[mine], delegated=[delegated], team_tasks=[], is_manager=True, now=NOW)
    shown = dom(render_view(view, ctx=NEW_YORK))
    form = shown.one("form")
    assert form.classes == {"bk-view", "bk-home"} and form.attrs["data-type"] == "home"
    assert shown.one("h3", "bk-header").words() == "Baton"
    assert buttons(shown) == [
        ("New task", "bk-primary", ids.ACTION_OPEN_TASK_MODAL, "b1", "new"),  # Slack fills in a block id
        ("Done", "", ids.ACTION_DONE, f"{ids.ACTION_DONE}-7", "7"),
    ]
    words = shown.words()
    assert "Assigned to me · 1 open" in words and "Delegated by me · 1 open" in words
    assert "🟠 T-13 Write docs · @Ben Berlin · due Dec 4, 2026 at 12:00 PM · not answered yet" in words
    assert "Your teams have no open tasks." in words
    assert len(shown.all("hr", "bk-divider")) == 2


def test_new_task_modal_has_every_input_named_block_slash_action() -> None:
    view = new_task_modal(
        teams=[TeamOption(id=1, channel_id="C9"), TeamOption(id=2, channel_id="C10")],
        title="Fix <login> & co",
        assignee_id="U2",
        team_id=2,
        private_metadata="{}",
    )
    shown = dom(render_view(view, ctx=NEW_YORK))
    form = shown.one("form")
    assert form.classes == {"bk-view", "bk-modal"}
    assert form.attrs["data-callback-id"] == ids.VIEW_NEW_TASK
    assert (form.attrs["data-title"], form.attrs["data-submit"], form.attrs["data-close"]) == (
        "New task",
        "Delegate",
        "Cancel",
    )
    assert "data-private-metadata" not in form.attrs
    assert shown.one("h2", "bk-view-title").words() == "New task"
    inputs = {node.attrs["data-block-id"]: node for node in shown.all(cls="bk-input")}
    assert {block: node.attrs["data-type"] for block, node in inputs.items()} == {
        ids.BLOCK_TITLE: "plain_text_input",
        ids.BLOCK_DETAILS: "plain_text_input",
        ids.BLOCK_ASSIGNEE: "users_select",
        ids.BLOCK_DUE_DATE: "datepicker",
        ids.BLOCK_DUE_TIME: "timepicker",
        ids.BLOCK_PRIORITY: "static_select",
        ids.BLOCK_TEAM: "radio_buttons",
    }

    title = inputs[ids.BLOCK_TITLE].one("input", name=f"{ids.BLOCK_TITLE}/{ids.INPUT_TITLE}")
    assert title.attrs["value"] == "Fix <login> & co"  # plain_text: shown as typed
    assert title.attrs["maxlength"] == "200" and "required" in title.attrs
    assert inputs[ids.BLOCK_TITLE].attrs["data-action-id"] == ids.INPUT_TITLE
    assert inputs[ids.BLOCK_TITLE].one("label").words() == "Title"

    details = inputs[ids.BLOCK_DETAILS].one("textarea", name=f"{ids.BLOCK_DETAILS}/{ids.INPUT_DETAILS}")
    assert "required" not in details.attrs
    assert inputs[ids.BLOCK_DETAILS].one("label").words() == "Details (optional)"

    assignee = inputs[ids.BLOCK_ASSIGNEE].one("select", name=f"{ids.BLOCK_ASSIGNEE}/{ids.INPUT_ASSIGNEE}")
    options = [(o.attrs["value"], o.words(), "selected" in o.attrs) for o in assignee.all("option")]
    assert options[0] == ("", "Who should do it?", False)
    assert ("U2", "@Ana Agent", True) in options and ("U1", "@Mia Manager", False) in options
    assert [name for _, name, _ in options[1:]] == sorted(name for _, name, _ in options[1:])

    date = inputs[ids.BLOCK_DUE_DATE].one("input", name=f"{ids.BLOCK_DUE_DATE}/{ids.INPUT_DUE_DATE}")
    assert date.attrs["type"] == "date" and "required" not in date.attrs
    time = inputs[ids.BLOCK_DUE_TIME].one("input", name=f"{ids.BLOCK_DUE_TIME}/{ids.INPUT_DUE_TIME}")
    assert time.attrs["type"] == "time"
    assert (
        inputs[ids.BLOCK_DUE_TIME].one(cls="bk-hint").words() == "A date without a time means 17:00 in your time zone."
    )

    priority = inputs[ids.BLOCK_PRIORITY].one("select", name=f"{ids.BLOCK_PRIORITY}/{ids.INPUT_PRIORITY}")
    chosen = [(o.attrs["value"], o.words()) for o in priority.all("option") if "selected" in o.attrs]
    assert chosen == [("normal", "⚪ Normal")]

    radios = inputs[ids.BLOCK_TEAM].all("input", name=f"{ids.BLOCK_TEAM}/{ids.INPUT_TEAM}")
    assert [(r.attrs["type"], r.attrs["value"], "checked" in r.attrs) for r in radios] == [
        ("radio", "1", False),
        ("radio", "2", True),
    ]
    assert [c.words() for c in inputs[ids.BLOCK_TEAM].all(cls="bk-choice")] == ["#team-alpha", "#team-beta"]
    for node in inputs.values():
        assert node.one(cls="bk-input-error").attrs.keys() >= {"hidden"}


def test_reason_modal_and_notice_modal() -> None:
    view = reason_modal(
        callback_id=ids.VIEW_DECLINE, task=make_task(), title="Decline T-12", label="Why?", private_metadata="{}"
    )
    shown = dom(render_view(view, ctx=NEW_YORK))
    assert shown.one("form").attrs["data-submit"] == "Send"
    assert shown.one(cls="bk-section").words() == "🟠 T-12 Fix login"
    reason = shown.one("textarea", name=f"{ids.BLOCK_REASON}/{ids.INPUT_REASON}")
    assert reason.attrs["maxlength"] == "500" and "required" not in reason.attrs

    notice = dom(render_view(notice_modal(title="Baton", text="Only *Mia* can do that."), ctx=NEW_YORK))
    form = notice.one("form")
    assert (form.attrs["data-submit"], form.attrs["data-close"]) == ("", "OK")
    assert notice.one("b").words() == "Mia"


# --------------------------------------------------------------------------- escaping


def test_script_in_a_title_never_becomes_a_tag() -> None:
    task = make_task(title='<script>alert("x")</script> & <img src=x onerror=alert(1)>')
    for built in (task_created(task, now=NOW), assignment(task, now=NOW)):
        fragment = render_blocks(list(built.blocks), ctx=NEW_YORK)
        assert "<script" not in fragment and "<img" not in fragment
        shown = dom(fragment)
        assert not shown.all("script") and not shown.all("img")
        assert '<script>alert("x")</script> & <img src=x onerror=alert(1)>' in shown.words()
    modal = render_view(new_task_modal(teams=[], title="<script>x</script>"), ctx=NEW_YORK)
    assert "<script" not in modal
    assert dom(modal).one("input", name=f"{ids.BLOCK_TITLE}/{ids.INPUT_TITLE}").attrs["value"] == "<script>x</script>"


def test_attributes_and_plain_text_are_escaped() -> None:
    hostile = '"><script>alert(1)</script>'
    raw: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": hostile}},
        {
            "type": "actions",
            "block_id": hostile,
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": hostile}, "value": hostile}],
        },
    ]
    fragment = render_blocks(raw, ctx=NEW_YORK)
    assert "<script" not in fragment
    shown = dom(fragment)
    assert shown.one("h3").words() == hostile
    button = shown.one("button")
    assert button.attrs["data-value"] == button.attrs["data-block-id"] == hostile
    view = render_view(
        {"type": "modal", "callback_id": hostile, "title": {"type": "plain_text", "text": hostile}}, ctx=NEW_YORK
    )
    assert "<script" not in view and dom(view).one("form").attrs["data-title"] == hostile


def test_typed_ampersands_and_brackets_show_once_decoded() -> None:
    shown = message(task_created(make_task(title="Fish & chips <b> &amp;"), now=NOW))
    assert "Fish & chips <b> &amp;" in shown.words()
    fragment = render_mrkdwn("Fish &amp; chips &amp;amp; &lt;b&gt;", ctx=NEW_YORK)
    assert fragment == "Fish &amp; chips &amp;amp; &lt;b&gt;"
    assert md("Fish &amp; chips &amp;amp; &lt;b&gt;").text() == "Fish & chips &amp; <b>"


def test_typed_mentions_never_ping_but_baton_mentions_show_names() -> None:
    typed = task_created(make_task(title="<!channel> <!here> <!subteam^S1> <@U1>"), now=NOW)
    shown = message(typed)
    assert "<!channel> <!here> <!subteam^S1> <@U1>" in shown.words()
    assert not shown.all(cls="bk-broadcast") and not shown.all(cls="bk-usergroup")
    assert [m.words() for m in shown.all(cls="bk-user")] == ["@Ana Agent"]  # the assignee, not the title


# --------------------------------------------------------------------------- mrkdwn


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("*bold* _italic_ ~strike~", "<b>bold</b> <i>italic</i> <s>strike</s>"),
        ("*bold _and italic_*", "<b>bold <i>and italic</i></b>"),
        ("2*3*4 and snake_case_name and a * b *", "2*3*4 and snake_case_name and a * b *"),
        ("*not\nbold*", "*not<br>bold*"),
        ("*_*_ and *a _b* c_", "<b>_</b>_ and <b>a _b</b> c_"),
        ("`*code* <@U1>` *x*", '<code class="bk-code">*code* @U1</code> <b>x</b>'),
        ("one\ntwo\n\nthree", "one<br>two<br><br>three"),
        ("before\n```line *1*\nline 2```\nafter", 'before<pre class="bk-pre">line *1*\nline 2</pre>after'),
        (
            "Why:\n> first *b*\n&gt; second\nafter",
            'Why:<blockquote class="bk-quote">first <b>b</b><br>second</blockquote>after',
        ),
        ("intro\n>>> all\nof this", 'intro<blockquote class="bk-quote">all<br>of this</blockquote>'),
        ("a > b &gt; c", "a &gt; b &gt; c"),
        (":tada: :+1: :white_check_mark: :construction: :nope: 10:30:00", "🎉 👍 ✅ 🚧 :nope: 10:30:00"),
        ("`:tada:`", '<code class="bk-code">:tada:</code>'),
        ("\ue0000\ue001", "\ufffd0\ufffd"),
    ],
)
def test_mrkdwn_formatting(text: str, html: str) -> None:
    # the one code span above holds a mention: strip the mention's markup to compare
    fragment = render_mrkdwn(text, ctx=RenderContext("UTC"))
    fragment = re.sub(r'<span class="bk-mention bk-user" data-user-id="U1">(.*?)</span>', r"\1", fragment)
    assert fragment == html
    dom(fragment)


def test_links_are_links_only_for_safe_schemes() -> None:
    shown = md("<https://example.com/a?b=1&amp;c=2|the *docs* &amp; more> <http://x.org> <mailto:a@b.c|mail>")
    links = [(a.attrs["href"], a.words(), a.attrs["rel"]) for a in shown.all("a")]
    assert links == [
        ("https://example.com/a?b=1&c=2", "the *docs* & more", "noopener noreferrer"),
        ("http://x.org", "http://x.org", "noopener noreferrer"),
        ("mailto:a@b.c", "mail", "noopener noreferrer"),
    ]
    unsafe = md('<javascript:alert(1)|click> <https://x.org/"onmouseover=alert(1)|y>')
    assert unsafe.words().startswith("click")
    assert [a.attrs["href"] for a in unsafe.all("a")] == ['https://x.org/"onmouseover=alert(1)']


def test_mentions_channels_groups_and_broadcasts() -> None:
    ctx = RenderContext("UTC", PEOPLE, CHANNELS, viewer_id="U2")
    shown = md("<@U1> <@U2|ana> <@U99> <@U98|someone> <#C9> <#C77|general> <#C78>", ctx)
    assert shown.words() == "@Mia Manager @Ana Agent @U99 @someone #team-alpha #general #C78"
    assert [m.attrs["data-user-id"] for m in shown.all(cls="bk-user")] == ["U1", "U2", "U99", "U98"]
    assert [m.attrs["data-user-id"] for m in shown.all(cls="bk-mention-me")] == ["U2"]
    specials = md("<!here> <!channel> <!everyone|@everyone> <!subteam^S1|@devs> <!subteam^S2>", ctx)
    assert specials.words() == "@here @channel @everyone @devs @S2"
    assert len(specials.all(cls="bk-broadcast")) == 3 and len(specials.all(cls="bk-usergroup")) == 2
    assert "<!" not in render_mrkdwn("<!here> <!channel>", ctx=ctx)


# --------------------------------------------------------------------------- dates


def date(fmt: str, ctx: RenderContext, *, link: str = "", fallback: str = "the fallback") -> Node:
    return md(f"<!date^{EPOCH}^{fmt}{'^' + link if link else ''}|{fallback}>", ctx)


@pytest.mark.parametrize(
    ("fmt", "new_york", "tokyo"),
    [
        ("{date_num}", "2023-11-14", "2023-11-15"),
        ("{date}", "November 14th, 2023", "November 15th, 2023"),
        ("{date_short}", "Nov 14, 2023", "Nov 15, 2023"),
        ("{date_long}", "Tuesday, November 14th, 2023", "Wednesday, November 15th, 2023"),
        ("{time}", "5:13 PM", "7:13 AM"),
        ("{time_secs}", "5:13:20 PM", "7:13:20 AM"),
        (
            "{date_short} at {time} {nonsense}",
            "Nov 14, 2023 at 5:13 PM {nonsense}",
            "Nov 15, 2023 at 7:13 AM {nonsense}",
        ),
    ],
)
def test_date_tokens_in_two_zones(fmt: str, new_york: str, tokyo: str) -> None:
    assert date(fmt, RenderContext("America/New_York")).words() == new_york
    assert date(fmt, RenderContext("Asia/Tokyo")).words() == tokyo


def test_pretty_dates_need_now_and_follow_the_viewers_day() -> None:
    now = datetime(2023, 11, 14, 20, 0, tzinfo=UTC)  # Tue 3 PM in New York, Wed 5 AM in Tokyo
    new_york = RenderContext("America/New_York", now=now)
    tokyo = RenderContext("Asia/Tokyo", now=now)
    assert date("{date_pretty} at {time}", new_york).words() == "Today at 5:13 PM"
    assert date("{date_short_pretty}", tokyo).words() == "Today"
    assert date("due {date_long_pretty}", RenderContext("Asia/Tokyo", now=now - timedelta(days=1))).words() == (
        "due tomorrow"
    )
    assert date("{date_short_pretty}", RenderContext("UTC", now=now + timedelta(days=1))).words() == "Yesterday"
    assert date("{date_short_pretty}", RenderContext("UTC", now=now + timedelta(days=5))).words() == "Nov 14, 2023"
    assert date("{date_long_pretty}", RenderContext("UTC")).words() == "Tuesday, November 14th, 2023"


def test_ago_says_how_long_ago_or_until_and_falls_back_without_now() -> None:
    moment = datetime.fromtimestamp(EPOCH, tz=UTC)
    cases = [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(hours=3, minutes=5), "3 hours ago"),
        (timedelta(days=2), "2 days ago"),
        (timedelta(days=-2), "in 2 days"),
        (timedelta(days=400), "1 year ago"),
    ]
    for offset, said in cases:
        assert date("{ago}", RenderContext("UTC", now=moment + offset)).words() == said
    assert date("{date_num} ({ago})", RenderContext("UTC"), fallback="Nov 14 &amp; on").words() == "Nov 14 & on"


def test_dates_with_links_24_hour_clocks_bad_stamps_and_unknown_zones() -> None:
    linked = date("{time}", RenderContext("Europe/Berlin", clock24=True), link="https://example.com/x")
    assert linked.one("a").attrs["href"] == "https://example.com/x" and linked.words() == "23:13"
    assert not date("{time}", RenderContext("UTC"), link="javascript:alert(1)").all("a")
    assert md("<!date^abc^{time}|the fallback>").words() == "the fallback"
    assert md("<!date^999999999999^{time}|far away>").words() == "far away"
    assert date("{time}", RenderContext("Mars/Olympus_Mons")).words() == "10:13 PM"  # unknown zone: UTC


def test_emoji_table() -> None:
    assert (emoji("tada"), emoji("+1"), emoji("thumbsup"), emoji("no_entry"), emoji("octagonal_sign")) == (
        "🎉",
        "👍",
        "👍",
        "⛔",
        "🛑",
    )
    assert emoji("warning") == "⚠️" and emoji("calendar") == "📆" and emoji("clock") == "🕐"
    assert emoji("not_an_emoji") == ":not_an_emoji:" and emoji("skin-tone-3") == ""
    plain = dom(
        render_blocks(
            [{"type": "header", "text": {"type": "plain_text", "text": ":tada: x", "emoji": False}}], ctx=NEW_YORK
        )
    )
    assert plain.words() == ":tada: x"


def test_every_away_status_emoji_and_the_status_people_can_pick_are_drawn() -> None:
    for name in (*sorted(AWAY_EMOJI), *STATUS_EMOJI):
        assert not emoji(name).startswith(":"), name
    assert [emoji(name) for name in sorted(AWAY_EMOJI)] == ["✈️", "🏝️", "🤒", "😷", "🌴"]
    # A status as Baton describes it (the Home tab, `/task hours`): `:palm_tree: Vacation`.
    shown = SlackStatus(emoji=":face_with_thermometer:", text="Sick today").describe()
    assert dom(render_mrkdwn(shown, ctx=NEW_YORK)).words() == "🤒 Sick today"


# --------------------------------------------------------------------------- other blocks and elements


def test_section_accessories_and_message_elements_carry_their_ids() -> None:
    option = {"text": {"type": "plain_text", "text": "Two"}, "value": "2"}
    raw: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "s1",
            "text": {"type": "plain_text", "text": "Pick"},
            "accessory": {
                "type": "overflow",
                "action_id": "more",
                "options": [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}, option],
            },
        },
        {
            "type": "actions",
            "block_id": "a1",
            "elements": [
                {"type": "static_select", "action_id": "pick", "options": [option], "initial_option": option},
                {"type": "users_select", "initial_user": "U3"},
                {"type": "datepicker", "action_id": "day", "initial_date": "2026-12-04"},
                {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "url": "https://example.com"},
                {"type": "workflow_button", "text": {"type": "plain_text", "text": "Run it"}},
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "pic"},
            "accessory": {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a cat"},
        },
    ]
    shown = dom(render_blocks(raw, ctx=NEW_YORK))
    overflow = shown.one(cls="bk-overflow")
    assert (overflow.attrs["data-action-id"], overflow.attrs["data-block-id"]) == ("more", "s1")
    choices = [
        (o.words(), o.attrs["data-value"], o.attrs["data-action-id"]) for o in overflow.all(cls="bk-overflow-option")
    ]
    assert choices == [("One", "1", "more"), ("Two", "2", "more")]
    elements = {e.attrs["data-type"]: e for e in shown.all("span", "bk-element")}
    assert set(elements) == {"static_select", "users_select", "datepicker"}
    assert elements["static_select"].one("select", name="a1/pick").one("option", value="2").attrs.keys() >= {"selected"}
    users = elements["users_select"]
    assert users.attrs["data-action-id"] == "a1" and users.one("option", value="U3").attrs.keys() >= {"selected"}
    assert elements["datepicker"].one("input", name="a1/day").attrs["value"] == "2026-12-04"
    assert buttons(shown) == [("Open", "", "a3", "a1", None)]
    assert shown.one("button", "bk-button").attrs["data-url"] == "https://example.com"
    assert shown.one(cls="bk-unknown").words() == "Run it"
    image = shown.one("img", "bk-accessory-image")
    assert (image.attrs["src"], image.attrs["alt"]) == ("https://example.com/a.png", "a cat")


def test_view_inputs_of_every_kind_with_initial_values() -> None:
    def opt(value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": value.upper()}, "value": value}

    def inp(block_id: str, element: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "element": {"action_id": "v", **element},
            **extra,
        }

    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "All"},
        "blocks": [
            inp(
                "checks",
                {
                    "type": "checkboxes",
                    "options": [opt("a"), opt("b"), opt("c")],
                    "initial_options": [opt("a"), opt("c")],
                },
            ),
            inp(
                "radio",
                {
                    "type": "radio_buttons",
                    "options": [opt("x"), {**opt("y"), "description": {"type": "mrkdwn", "text": "*why*"}}],
                    "initial_option": opt("y"),
                },
            ),
            inp("people", {"type": "multi_users_select", "initial_users": ["U1", "U404"]}, optional=True),
            inp("when", {"type": "timepicker", "initial_time": "09:30"}),
            inp("day", {"type": "datepicker", "initial_date": "not a date"}),
            inp(
                "grouped",
                {
                    "type": "static_select",
                    "option_groups": [
                        {"label": {"type": "plain_text", "text": "G"}, "options": [opt("g1"), opt("g2")]}
                    ],
                    "initial_option": opt("g2"),
                },
            ),
            inp(
                "many",
                {"type": "multi_static_select", "options": [opt("m1"), opt("m2")], "initial_options": [opt("m2")]},
            ),
            inp("count", {"type": "number_input", "is_decimal_allowed": False, "initial_value": "3", "min_value": "1"}),
            inp("channel", {"type": "conversations_select", "initial_conversation": "C10"}),
            inp("file", {"type": "file_input"}),
        ],
    }
    shown = dom(render_view(view, ctx=NEW_YORK))
    boxes = shown.all("input", name="checks/v")
    assert [(b.attrs["type"], b.attrs["value"], "checked" in b.attrs) for b in boxes] == [
        ("checkbox", "a", True),
        ("checkbox", "b", False),
        ("checkbox", "c", True),
    ]
    radios = shown.all("input", name="radio/v")
    assert [("checked" in r.attrs) for r in radios] == [False, True] and "required" in radios[0].attrs
    assert shown.one(cls="bk-choice-description").one("b").words() == "why"
    people = shown.one("select", name="people/v")
    assert "multiple" in people.attrs and "required" not in people.attrs
    assert sorted(o.attrs["value"] or "" for o in people.all("option") if "selected" in o.attrs) == ["U1", "U404"]
    assert shown.one("input", name="when/v").attrs["value"] == "09:30"
    assert "value" not in shown.one("input", name="day/v").attrs
    grouped = shown.one("select", name="grouped/v")
    assert grouped.one("optgroup").attrs["label"] == "G"
    assert [o.attrs["value"] for o in grouped.all("option") if "selected" in o.attrs] == ["g2"]
    many = shown.one("select", name="many/v")
    assert [o.attrs["value"] for o in many.all("option") if "selected" in o.attrs] == ["m2"]
    count = shown.one("input", name="count/v")
    assert (count.attrs["type"], count.attrs["value"], count.attrs["min"]) == ("number", "3", "1")
    channel = shown.one("select", name="channel/v")
    assert [o.words() for o in channel.all("option") if "selected" in o.attrs] == ["#team-beta"]
    file_input = shown.one(cls="bk-input", data_block_id="file")
    assert file_input.attrs["data-type"] == "file_input" and file_input.one(cls="bk-unknown").words() == "[file_input]"


def test_context_images_image_blocks_and_rich_text() -> None:
    raw: list[dict[str, Any]] = [
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://example.com/i.png", "alt_text": "i"},
                {"type": "plain_text", "text": "plain *text*"},
            ],
        },
        {
            "type": "image",
            "image_url": "javascript:alert(1)",
            "alt_text": "broken",
            "title": {"type": "plain_text", "text": "T"},
        },
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Hi <b> ", "style": {"bold": True}},
                        {"type": "user", "user_id": "U1"},
                        {"type": "emoji", "name": "tada", "unicode": "1f389"},
                        {"type": "link", "url": "https://example.com", "text": "site"},
                        {"type": "broadcast", "range": "here"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "ordered",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}],
                },
                {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
                {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "pre"}]},
                {
                    "type": "rich_text_section",
                    "elements": [{"type": "date", "timestamp": EPOCH, "format": "{date_num}", "fallback": "f"}],
                },
            ],
        },
    ]
    shown = dom(render_blocks(raw, ctx=TOKYO))
    context = shown.one(cls="bk-context")
    assert context.one("img").attrs["src"] == "https://example.com/i.png" and context.words() == "plain *text*"
    image = shown.one(cls="bk-image")
    assert not image.all("img") and image.one("figcaption").words() == "T"
    assert image.one(cls="bk-image-missing").words() == "broken"
    rich = shown.one(cls="bk-rich-text")
    assert rich.one("b").words() == "Hi <b>"
    assert rich.all(cls="bk-rt-section")[0].words() == "Hi <b> @Mia Manager🎉site@here"
    assert rich.one("ol").words() == "one" and rich.one("blockquote").words() == "quoted"
    assert rich.one("pre").words() == "pre" and rich.one("time").words() == "2023-11-15"


def test_unknown_and_malformed_blocks_become_grey_notes() -> None:
    raw: list[Any] = [
        {"type": "video", "title": "x"},
        {},
        None,
        "text",
        {"type": "section"},
        {"type": "actions", "elements": "nope"},
    ]
    shown = dom(render_blocks(raw, ctx=NEW_YORK))
    notes = [n.words() for n in shown.all("div", "bk-unknown")]
    assert notes == ["This video block cannot be shown here.", *["This block cannot be shown here."] * 3]
    assert len(shown.all(cls="bk-section")) == 1 and len(shown.all(cls="bk-actions")) == 1


def test_render_message_without_blocks_uses_its_mrkdwn_text() -> None:
    shown = dom(render_message("*T-12* is done. <@U2>", None, ctx=NEW_YORK))
    assert shown.one("b").words() == "T-12" and shown.words() == "T-12 is done. @Ana Agent"
    with_blocks = dom(render_message("fallback", [{"type": "divider"}], ctx=NEW_YORK))
    assert with_blocks.all("hr") and "fallback" not in with_blocks.words()


# --------------------------------------------------------------------------- properties


_TYPES = st.sampled_from(
    [
        "section",
        "context",
        "divider",
        "header",
        "actions",
        "image",
        "input",
        "rich_text",
        "button",
        "overflow",
        "static_select",
        "users_select",
        "multi_users_select",
        "datepicker",
        "timepicker",
        "checkboxes",
        "radio_buttons",
        "plain_text_input",
        "mrkdwn",
        "plain_text",
        "rich_text_section",
        "rich_text_list",
        "text",
        "user",
        "date",
        "emoji",
        "link",
        "modal",
        "home",
        "video",
    ]
)
_KEYS = st.sampled_from(
    [
        "type",
        "text",
        "elements",
        "fields",
        "accessory",
        "element",
        "options",
        "option_groups",
        "block_id",
        "action_id",
        "value",
        "style",
        "initial_option",
        "initial_options",
        "initial_user",
        "initial_users",
        "initial_date",
        "initial_time",
        "initial_value",
        "label",
        "hint",
        "optional",
        "placeholder",
        "url",
        "image_url",
        "alt_text",
        "title",
        "submit",
        "close",
        "blocks",
        "multiline",
        "max_length",
        "timestamp",
        "unicode",
        "description",
        "confirm",
        "indent",
    ]
)
_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | _TYPES | st.text(max_size=30)
_JSON = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=40,
)
_ALLOWED_TAGS = {"b", "i", "s", "code", "pre", "br", "blockquote", "span", "a", "time"}


@settings(max_examples=150, deadline=None)
@given(st.lists(_JSON, max_size=5), _JSON)
def test_any_json_renders_to_balanced_html_without_raising(raw_blocks: list[Any], raw_view: Any) -> None:
    for fragment in (render_blocks(raw_blocks, ctx=NEW_YORK), render_view(raw_view, ctx=TOKYO)):
        assert "<script" not in fragment
        dom(fragment)


_PIECES = [*"<>&|!@#^*_~`:\n ab;/Uhtps.", "&lt;", "&gt;", "&amp;", "<script>", "{time}", "date^1^", "https://"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join) | st.text(max_size=60))
def test_any_mrkdwn_is_balanced_and_only_uses_safe_tags(text: str) -> None:
    shown = dom(render_mrkdwn(text, ctx=NEW_YORK))
    assert {node.tag for node in shown.walk()} <= _ALLOWED_TAGS
    for link in shown.all("a"):
        assert re.match(r"(https?://|mailto:)", link.attrs["href"] or "", re.IGNORECASE)


def test_every_class_the_renderer_uses_has_a_style() -> None:
    # render every kind of block, element and mrkdwn piece (whatever order the tests run in), then compare
    test_section_accessories_and_message_elements_carry_their_ids()
    test_view_inputs_of_every_kind_with_initial_values()
    test_context_images_image_blocks_and_rich_text()
    test_new_task_modal_has_every_input_named_block_slash_action()
    test_unknown_and_malformed_blocks_become_grey_notes()
    test_mentions_channels_groups_and_broadcasts()
    dom(render_mrkdwn("`c` ```p``` > q <https://x.org> <!date^1^{time}|f>", ctx=NEW_YORK))
    dom(render_view({"type": "workflow_step", "title": {"type": "plain_text", "text": "x"}}, ctx=NEW_YORK))
    styled = set(re.findall(r"\.(bk-[a-z0-9-]+)", CSS.read_text(encoding="utf-8")))
    used = {name for name in SEEN_CLASSES if name.startswith("bk-")}
    assert used and not used - styled, sorted(used - styled)
