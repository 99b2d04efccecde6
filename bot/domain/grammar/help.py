"""What `/task help` and `/team help` answer."""

from __future__ import annotations

TASK_HELP = "\n".join(
    [
        "*Baton: `/task`*",
        "• `/task` opens the New task form",
        "• `/task @person title [by|due when] [!low|!normal|!high|!urgent]` delegates a task, "
        "e.g. `/task @alice Fix the refund macro by fri 5pm !high`",
        "• `/task list [mine|delegated|team|overdue|@person]` lists open tasks, soonest due first",
        "• `/task show T-12` shows one task",
        "• `/task done T-12 [note]` marks it done",
        "• `/task reassign T-12 @person` hands it to someone else",
        "• `/task due T-12 when` moves the deadline",
        "• `/task cancel T-12 [reason]` cancels it",
        "• `/task away today fri` records your time off (the last day included); `/task away off` ends it",
        "• `/task @person title every mon|day|weekday|15th [at HH:MM]` repeats it, e.g. "
        "`/task @alice Send the invoices every 1st at 09:30`; a day past a month's end means its last day",
        "• `/task stop T-12` stops the series T-12 belongs to; T-12 itself stays open",
        "• `/task suggest what needs doing [#skill…]` names the three best people of the team to do it",
        "• `/task hours` shows your working hours; `/task hours 09:00-17:30 [weekdays|mon,tue,…]` sets them "
        "(Baton sends you nothing outside them)",
        "• `/task holidays JP` follows a country's public holidays for you (`off` goes back to your team's)",
        '_when_ is "fri 5pm", "tomorrow", "in 3 days" or "2026-12-04 17:00", read in your time zone; '
        "a date alone means 17:00. Ids may be typed `T-12`, `t-12` or `12`.",
    ]
)

TEAM_HELP = "\n".join(
    [
        "*Baton: `/team`*",
        "• `/team setup` in a channel makes it a team channel, with you as a manager",
        "• `/team checkins weekdays 10:00` sets the check-in days and time; days are `weekdays`, `daily` "
        "or a comma list such as `mon,wed,fri`, and the time is 24-hour",
        "• `/team checkins off` stops check-ins",
        "• `/team away @person mon to fri` (managers) records someone's time off; `off` ends it; "
        "`/team away` alone lists who is away",
        "• `/team report [7d|30d]` (managers) per person: on-time rate, open load, overdue, time to done, "
        "check-ins answered and reply time, kudos",
        "• `/team preview [days]` (managers) lists what Baton will send for the team, and when (7 days by default, "
        "at most 30)",
        "• `/team skills @person billing, refunds, spanish` (managers) sets what someone is good at; "
        "`-` clears it, and `/team skills` alone lists the team's people and their skills",
        "• `/team holidays DE-BY` (managers) follows a country's (and region's) public holidays; `off` stops it; "
        "`/team holidays` alone lists the next 60 days'",
        "• `/team escalation 2` (managers): after that many unanswered check-ins in a row on a task, the managers "
        "hear of it once; `off` stops it",
    ]
)
