"""The `/task`, `/kudos` and `/team` grammar: each form, Slack's escaping, and a reply for every mistake."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import BadInput
from bot.domain.grammar import (
    TASK_HELP,
    TEAM_HELP,
    CancelTask,
    ChangeDue,
    CompleteTask,
    DelegateTask,
    GiveKudos,
    ListScope,
    ListTasks,
    OpenTaskModal,
    ReassignTask,
    SetCheckins,
    SetupTeam,
    ShowTask,
    TaskHelp,
    TeamHelp,
    TeamReportCommand,
    parse_kudos,
    parse_task,
    parse_team,
)
from bot.domain.model import CheckinSchedule, Priority


def bad_reply(parse: object, text: str) -> str:
    assert callable(parse)
    with pytest.raises(BadInput) as caught:
        parse(text)
    return caught.value.reply


# --- /task: the small forms ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_blank_task_text_opens_the_modal(text: str) -> None:
    assert parse_task(text) == OpenTaskModal()


@pytest.mark.parametrize("text", ["help", "HELP", " help "])
def test_task_help(text: str) -> None:
    assert parse_task(text) == TaskHelp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("list", ListTasks(scope=ListScope.MINE)),
        ("list mine", ListTasks(scope=ListScope.MINE)),
        ("list delegated", ListTasks(scope=ListScope.DELEGATED)),
        ("list Team", ListTasks(scope=ListScope.TEAM)),
        ("list overdue", ListTasks(scope=ListScope.OVERDUE)),
        ("list <@U222>", ListTasks(scope=ListScope.USER, user_id="U222")),
        ("list <@U222|bob>", ListTasks(scope=ListScope.USER, user_id="U222")),
        ("list <@U222|Bo Li>", ListTasks(scope=ListScope.USER, user_id="U222")),
    ],
)
def test_list_scopes(text: str, expected: ListTasks) -> None:
    assert parse_task(text) == expected


def test_list_of_an_unknown_scope_names_the_scopes() -> None:
    assert bad_reply(parse_task, "list everything") == (
        '"everything" is not a list. `/task list` takes one of `mine`, `delegated`, `team`, `overdue` or `@person`.'
    )


def test_list_with_two_words_is_refused() -> None:
    assert "`/task list` takes one of" in bad_reply(parse_task, "list mine overdue")


def test_list_of_a_plain_at_name_asks_for_autocomplete() -> None:
    assert "autocomplete" in bad_reply(parse_task, "list @bob")


@pytest.mark.parametrize("ref", ["T-12", "t-12", "12"])
def test_task_ids_are_read_in_every_form(ref: str) -> None:
    assert parse_task(f"show {ref}") == ShowTask(number=12)
    assert parse_task(f"done {ref}") == CompleteTask(number=12, note="")
    assert parse_task(f"cancel {ref}") == CancelTask(number=12, reason="")


def test_done_keeps_the_note_decoded_once() -> None:
    assert parse_task("done T-3 shipped &amp; tested &lt;3") == CompleteTask(number=3, note="shipped & tested <3")


def test_cancel_keeps_the_reason() -> None:
    assert parse_task("cancel 4  not needed any more ") == CancelTask(number=4, reason="not needed any more")


def test_over_long_note_is_refused_with_its_length() -> None:
    assert bad_reply(parse_task, "done 1 " + "n" * 2001) == (
        "That note is 2001 characters long; keep it to 2000 or fewer."
    )


def test_reassign_takes_an_id_and_a_mention() -> None:
    assert parse_task("reassign T-12 <@U999>") == ReassignTask(number=12, assignee_id="U999")
    assert parse_task("reassign 12 <@U999|carol>") == ReassignTask(number=12, assignee_id="U999")
    assert parse_task("reassign 12 <@U999|Carol Ng> ") == ReassignTask(number=12, assignee_id="U999")


def test_reassign_without_a_person_shows_the_form() -> None:
    assert bad_reply(parse_task, "reassign T-12") == (
        "`/task reassign` needs the new person after the id, like `/task reassign T-12 @alice`."
    )


def test_reassign_to_two_people_is_refused() -> None:
    assert "one assignee" in bad_reply(parse_task, "reassign T-12 <@U1> <@U2>")


def test_reassign_to_a_group_is_refused() -> None:
    assert "not a group" in bad_reply(parse_task, "reassign T-12 <!subteam^S1|@devs>")


def test_due_takes_the_when_text_unvalidated() -> None:
    assert parse_task("due T-7  fri   5pm") == ChangeDue(number=7, when_text="fri 5pm")
    assert parse_task("due 7 whenever") == ChangeDue(number=7, when_text="whenever")


def test_due_without_a_time_shows_the_form() -> None:
    assert bad_reply(parse_task, "due T-7") == (
        "`/task due` needs a new due time after the id, like `/task due T-12 fri 5pm`."
    )


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("done", "`/task done` needs a task id, like `/task done T-12`."),
        ("show", "`/task show` needs a task id, like `/task show T-12`."),
        ("cancel", "`/task cancel` needs a task id, like `/task cancel T-12`."),
        ("reassign", "`/task reassign` needs a task id, like `/task reassign T-12 @alice`."),
        ("due", "`/task due` needs a task id, like `/task due T-12 fri 5pm`."),
        ("done X-12", '"X-12" is not a task id. `/task done` needs one, like `/task done T-12`.'),
        ("show T-0", '"T-0" is not a task id. `/task show` needs one, like `/task show T-12`.'),
        ("cancel -3", '"-3" is not a task id. `/task cancel` needs one, like `/task cancel T-12`.'),
    ],
)
def test_missing_or_bad_task_id_names_the_right_form(text: str, reply: str) -> None:
    assert bad_reply(parse_task, text) == reply


def test_show_with_extra_words_is_refused() -> None:
    assert bad_reply(parse_task, "show T-1 please") == 'I didn\'t expect "please" there. Use `/task show T-12`.'


def test_unknown_sub_command_points_to_help_and_the_delegate_form() -> None:
    assert bad_reply(parse_task, "foo bar") == (
        'Unknown sub-command "foo". To delegate, type `/task @person title`; for the rest, try `/task help`.'
    )


def test_unknown_sub_command_is_quoted_decoded_and_short() -> None:
    reply = bad_reply(parse_task, "&lt;b&gt;" + "x" * 100)
    assert reply.startswith('Unknown sub-command "&lt;b&gt;xxx')
    assert "x" * 40 not in reply


# --- /task @person: delegating --------------------------------------------------------------------------


def test_delegate_with_title_date_and_priority() -> None:
    assert parse_task("<@U123> Fix the refund macro by fri 5pm !high") == DelegateTask(
        assignee_id="U123", title="Fix the refund macro", when_text="fri 5pm", priority=Priority.HIGH
    )


def test_delegate_accepts_a_mention_with_a_name() -> None:
    command = parse_task("<@U123|alice> Fix it")
    assert command == DelegateTask(assignee_id="U123", title="Fix it", when_text=None, priority=Priority.NORMAL)


def test_due_keyword_works_like_by() -> None:
    command = parse_task("<@U1> Review the deck due tomorrow")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.when_text) == ("Review the deck", "tomorrow")


def test_keyword_is_case_insensitive_and_a_whole_word() -> None:
    command = parse_task("<@U1> Check standby BY Monday")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.when_text) == ("Check standby", "Monday")


def test_trailing_by_that_is_not_a_date_stays_in_title() -> None:
    assert parse_task("<@U1> Call the customer by phone") == DelegateTask(
        assignee_id="U1", title="Call the customer by phone", when_text=None
    )


def test_last_by_that_reads_as_a_date_wins() -> None:
    command = parse_task("<@U1> Get sign off by legal by fri 5pm")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.when_text) == ("Get sign off by legal", "fri 5pm")


def test_earlier_by_is_tried_when_the_last_is_not_a_date() -> None:
    command = parse_task("<@U1> Ship by tomorrow noon reviewed by Ana")
    assert isinstance(command, DelegateTask)
    # "by Ana" is no date; "by tomorrow noon reviewed by Ana" is not one either, so all stays title.
    assert (command.title, command.when_text) == ("Ship by tomorrow noon reviewed by Ana", None)


def test_an_amount_after_by_is_not_a_date() -> None:
    command = parse_task("<@U1> Cut the build time by 2 hours due fri")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.when_text) == ("Cut the build time by 2 hours", "fri")


def test_a_number_after_by_is_not_a_date() -> None:
    command = parse_task("<@U1> Cut the build time by 12")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.when_text) == ("Cut the build time by 12", None)


@pytest.mark.parametrize("token", ["!urgent", "!URGENT", "!Urgent"])
def test_priority_is_case_insensitive_and_read_from_anywhere(token: str) -> None:
    command = parse_task(f"<@U1> {token} Fix   the  login by tomorrow")
    assert command == DelegateTask(
        assignee_id="U1", title="Fix the login", when_text="tomorrow", priority=Priority.URGENT
    )


def test_priority_inside_the_due_part_is_removed_too() -> None:
    command = parse_task("<@U1> Fix it by fri !low 5pm")
    assert command == DelegateTask(assignee_id="U1", title="Fix it", when_text="fri 5pm", priority=Priority.LOW)


def test_same_priority_twice_is_fine() -> None:
    command = parse_task("<@U1> Fix it !high !HIGH")
    assert isinstance(command, DelegateTask) and command.priority is Priority.HIGH


def test_exclamation_marks_that_are_not_priority_words_stay_in_title() -> None:
    command = parse_task("<@U1> Fix it! now !!! !2")
    assert isinstance(command, DelegateTask) and command.title == "Fix it! now !!! !2"


def test_unknown_priority_lists_the_four() -> None:
    assert bad_reply(parse_task, "<@U1> Fix it !soon") == (
        '"!soon" is not a priority. Use `!low`, `!normal`, `!high` or `!urgent`.'
    )


def test_two_different_priorities_are_refused() -> None:
    assert bad_reply(parse_task, "<@U1> Fix it !low !urgent") == (
        "Give one priority, not several: `!low`, `!normal`, `!high` or `!urgent`."
    )


@pytest.mark.parametrize("text", ["<@U1>", "<@U1>   ", "<@U1> !high", "<@U1> by fri 5pm"])
def test_empty_title_is_refused_with_an_example(text: str) -> None:
    assert bad_reply(parse_task, text) == ("Give the task a title: `/task @alice Fix the refund macro by fri 5pm`")


def test_title_of_200_characters_is_accepted() -> None:
    command = parse_task("<@U1> " + "x" * 200)
    assert isinstance(command, DelegateTask) and len(command.title) == 200


def test_title_over_200_characters_is_refused_with_its_length() -> None:
    reply = bad_reply(parse_task, "<@U1> " + "x" * 250 + " by fri")
    assert reply.startswith("That title is 250 characters long; keep it to 200 or fewer")


def test_title_length_counts_decoded_characters() -> None:
    command = parse_task("<@U1> " + "&amp;" * 200)
    assert isinstance(command, DelegateTask) and command.title == "&" * 200


def test_title_is_decoded_exactly_once() -> None:
    command = parse_task("<@U1> Fix &lt;b&gt; tags &amp; the &amp;amp; entity")
    assert isinstance(command, DelegateTask)
    assert command.title == "Fix <b> tags & the &amp; entity"


def test_typed_escaped_mention_is_text_not_a_mention() -> None:
    # Someone typed "<@U1> fix" literally; Slack sends it escaped, and it must not become an assignee.
    assert bad_reply(parse_task, "&lt;@U1&gt; fix").startswith('Unknown sub-command "&lt;@U1&gt;"')


def test_mention_and_broadcast_in_a_title_stay_literal_text() -> None:
    command = parse_task("<@U1> Pair with &lt;@U2&gt; and tell &lt;!channel&gt;")
    assert isinstance(command, DelegateTask)
    assert command.title == "Pair with <@U2> and tell <!channel>"


@pytest.mark.parametrize("second", ["<@U2>", "<@U2|bob>"])
def test_more_than_one_assignee_is_refused(second: str) -> None:
    assert bad_reply(parse_task, f"<@U1> {second} Fix it") == (
        "A task has one assignee; make one task per person: `/task @alice Fix the refund macro by fri 5pm`"
    )


@pytest.mark.parametrize("special", ["<!subteam^S1|@devs>", "<!here>", "<!channel>", "<#C1|general>"])
def test_a_title_that_starts_with_a_group_or_channel_keeps_it_as_text(special: str) -> None:
    command = parse_task(f"<@U1> {special} Fix it")

    assert isinstance(command, DelegateTask)
    assert command.title == f"{special} Fix it"  # stored as typed; every message escapes it


@pytest.mark.parametrize(
    "first",
    ["<!subteam^S123|@support>", "<!subteam^S123>", "<!here>", "<!channel>", "<!everyone|everyone>", "@here"],
)
def test_group_as_assignee_is_refused(first: str) -> None:
    assert bad_reply(parse_task, f"{first} Fix it") == (
        "Name one person, not a group or @here: `/task @alice Fix the refund macro by fri 5pm`"
    )


def test_channel_as_assignee_is_refused() -> None:
    assert bad_reply(parse_task, "<#C123|general> Fix it").startswith("Name a person, not a channel")


def test_plain_at_name_asks_for_autocomplete() -> None:
    assert bad_reply(parse_task, "@alice Fix it by fri") == (
        '"@alice" is not a mention; pick the person from Slack\'s autocomplete so the name turns into a '
        "mention: `/task @alice Fix the refund macro by fri 5pm`"
    )


def test_broken_mention_is_refused() -> None:
    assert "autocomplete" in bad_reply(parse_task, "<@alice> Fix it")


# --- /kudos --------------------------------------------------------------------------------------------


def test_kudos_to_one_person() -> None:
    assert parse_kudos("<@U1> Great demo!") == GiveKudos(recipient_ids=("U1",), message="Great demo!")


def test_kudos_to_several_people_in_both_mention_forms() -> None:
    assert parse_kudos("<@U1|ana> <@U2> thanks") == GiveKudos(recipient_ids=("U1", "U2"), message="thanks")
    assert parse_kudos("<@U1>, <@U2> thanks") == GiveKudos(recipient_ids=("U1", "U2"), message="thanks")


def test_kudos_duplicates_collapse_keeping_order() -> None:
    command = parse_kudos("<@U2> <@U1> <@U2|bo> <@U1> thanks")
    assert command.recipient_ids == ("U2", "U1")


def test_kudos_message_is_decoded_once_and_keeps_later_mentions_as_text() -> None:
    command = parse_kudos("<@U1> thanks for helping <@U2> &amp; me &lt;3")
    assert command == GiveKudos(recipient_ids=("U1",), message="thanks for helping <@U2> & me <3")


def test_kudos_without_a_mention_shows_the_form() -> None:
    assert bad_reply(parse_kudos, "thanks everyone") == (
        "Start with the people you thank: `/kudos @alice @bob Thanks for covering the on-call weekend!`"
    )
    assert bad_reply(parse_kudos, "").startswith("Start with the people you thank")


def test_kudos_to_a_plain_at_name_asks_for_autocomplete() -> None:
    assert "autocomplete" in bad_reply(parse_kudos, "@bob thanks")


def test_kudos_to_a_group_is_refused() -> None:
    assert bad_reply(parse_kudos, "<!subteam^S1|@devs> thanks").startswith("Name one person, not a group")
    assert bad_reply(parse_kudos, "<@U1> <!here> thanks").startswith("Kudos go to people")


def test_kudos_without_a_message_is_refused() -> None:
    assert bad_reply(parse_kudos, "<@U1> <@U2>  ") == (
        "Add a message after the names: `/kudos @alice @bob Thanks for covering the on-call weekend!`"
    )


def test_kudos_message_over_500_characters_is_refused() -> None:
    assert parse_kudos("<@U1> " + "y" * 500).message == "y" * 500
    assert bad_reply(parse_kudos, "<@U1> " + "y" * 501) == (
        "That message is 501 characters long; keep it to 500 or fewer."
    )


def test_typed_escaped_mention_is_not_a_kudos_recipient() -> None:
    assert bad_reply(parse_kudos, "&lt;@U1&gt; thanks").startswith("Start with the people you thank")


# --- /team ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "help", "Help"])
def test_team_help(text: str) -> None:
    assert parse_team(text) == TeamHelp()


def test_team_setup() -> None:
    assert parse_team("setup") == SetupTeam()


def test_team_setup_with_extra_words_is_refused() -> None:
    assert bad_reply(parse_team, "setup now") == 'I didn\'t expect "now" there. Use `/team setup`.'


@pytest.mark.parametrize(
    ("text", "days", "at"),
    [
        ("checkins weekdays 10:00", {0, 1, 2, 3, 4}, time(10, 0)),
        ("checkins daily 9:05", {0, 1, 2, 3, 4, 5, 6}, time(9, 5)),
        ("checkins mon,wed,fri 08:30", {0, 2, 4}, time(8, 30)),
        ("checkins Mon, Wed,  FRI 08:30", {0, 2, 4}, time(8, 30)),
        ("checkins monday,thursday,sun 23:59", {0, 3, 6}, time(23, 59)),
        ("checkins tue 00:00", {1}, time(0, 0)),
    ],
)
def test_checkin_schedules(text: str, days: set[int], at: time) -> None:
    assert parse_team(text) == SetCheckins(schedule=CheckinSchedule(days=frozenset(days), at=at))


def test_checkins_off_has_no_days() -> None:
    command = parse_team("checkins OFF")
    assert isinstance(command, SetCheckins) and command.schedule.is_off


CHECKINS_FORM = (
    "Use `/team checkins weekdays 10:00`: the days are `weekdays`, `daily` or a comma list such as "
    "`mon,wed,fri`, and the time is 24-hour HH:MM; `/team checkins off` stops them."
)


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("checkins", CHECKINS_FORM),
        ("checkins weekdays", CHECKINS_FORM),
        ("checkins funday 10:00", f'"funday" is not a day. {CHECKINS_FORM}'),
        ("checkins mon,,wed 10:00", f"A day is missing. {CHECKINS_FORM}"),
        ("checkins weekdays 24:00", f'"24:00" is not a time. {CHECKINS_FORM}'),
        ("checkins weekdays 10am", f'"10am" is not a time. {CHECKINS_FORM}'),
        ("checkins weekdays 9:5", f'"9:5" is not a time. {CHECKINS_FORM}'),
    ],
)
def test_bad_checkin_schedule_shows_the_exact_form(text: str, reply: str) -> None:
    assert bad_reply(parse_team, text) == reply


@pytest.mark.parametrize(("text", "days"), [("report", 7), ("report 7d", 7), ("report 30D", 30)])
def test_team_report_periods(text: str, days: int) -> None:
    assert parse_team(text) == TeamReportCommand(days=days)


def test_team_report_of_another_period_is_refused() -> None:
    assert bad_reply(parse_team, "report 90d") == (
        "`/team report` covers `7d` (the default) or `30d`, like `/team report 30d`."
    )


def test_unknown_team_sub_command_points_to_help() -> None:
    assert bad_reply(parse_team, "dance") == 'Unknown sub-command "dance". Try `/team help`.'


# --- help texts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("help_text", [TASK_HELP, TEAM_HELP])
def test_help_texts_are_safe_mrkdwn(help_text: str) -> None:
    assert not any(char in help_text for char in "<>&")


def test_task_help_lists_every_form() -> None:
    for form in ("/task list", "/task show", "/task done", "/task reassign", "/task due", "/task cancel"):
        assert form in TASK_HELP
    assert "!urgent" in TASK_HELP and "/task @person" in TASK_HELP


def test_team_help_lists_every_form() -> None:
    for form in ("/team setup", "/team checkins weekdays 10:00", "/team checkins off", "/team report"):
        assert form in TEAM_HELP


# --- properties ----------------------------------------------------------------------------------------

_slackish = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(
            [
                "<@U1>",
                "<@U2|bo>",
                "<!here>",
                "<!subteam^S1|@x>",
                "<#C1|c>",
                "&lt;",
                "&amp;",
                "<@",
                "@x",
                "by",
                "due",
                "fri",
                "5pm",
                "!high",
                "!low",
                "!zz",
                "T-1",
                "0",
                "list",
                "done",
                "reassign",
                "checkins",
                "report",
                "mon,",
                "10:00",
                "off",
                "x" * 201,
                ",",
                "\u00a0",
            ]
        ),
        max_size=8,
    ).map(" ".join),
)


@settings(max_examples=200, deadline=None)
@given(text=_slackish)
def test_parsers_raise_nothing_but_bad_input(text: str) -> None:
    for parse in (parse_task, parse_kudos, parse_team):
        try:
            parse(text)
        except BadInput as error:
            assert error.reply


_title_word = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="!<>&"),
    min_size=1,
    max_size=12,
).filter(lambda word: word.split() == [word] and word.lower() not in {"by", "due", "every"})


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(_title_word, min_size=1, max_size=8),
    with_due=st.booleans(),
    with_priority=st.booleans(),
)
def test_title_is_the_typed_text_less_due_and_priority(words: list[str], with_due: bool, with_priority: bool) -> None:
    title = " ".join(words)
    text = "<@U42> " + title + (" by fri 5pm" if with_due else "") + (" !high" if with_priority else "")
    command = parse_task(text)
    assert command == DelegateTask(
        assignee_id="U42",
        title=title,
        when_text="fri 5pm" if with_due else None,
        priority=Priority.HIGH if with_priority else Priority.NORMAL,
    )
