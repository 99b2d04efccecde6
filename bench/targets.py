"""Prints the targets table from the JSON files the bench scripts write with `--json PATH`.

Run from the repository root (`make bench` and `make bench-quick` do this after the scripts):

    .venv/bin/python bench/targets.py DIR         # reads DIR/<bench>.json for each of BENCHES below
    .venv/bin/python bench/targets.py a.json ...  # or the files themselves (each names its bench inside)

One Markdown row per target: measure | value | baseline | ratio | target | met?. The ratio is value / baseline,
both from the same run. A target that is missed says by what factor (how many times too slow, too big or too
few). A script that did not run, or was skipped, gets a row that says so. Figures from a `--quick` run are
marked: the issue's targets are for the full sizes (1 M tasks), so a quick row is a smoke test, not a verdict.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCHES = ("ack", "ack_pg", "planner", "claim", "delivery", "memory", "people_time", "burst")
ACK_P99_MS, ACK_P99_RATIO, THROUGHPUT = 15.0, 1.5, 1000.0
FLOOR_SHARE = 0.5  # Baton's /task rate against a Bolt app that saves the command, same run
SCAN_P95_MS = 5.0
CLAIM_MS = 10.0
CEILING_SHARE, MAX_429_SHARE, QUIET_MEDIAN_S = 0.90, 0.01, 1.0
IDLE_MB, PASS_MB = 120.0, 200.0
FULL_TASKS = 1_000_000
DMS_PER_DAY_P95 = 3
FLOOR_RATIO = 1.2  # burst: first to last delivered within this many times the floor of Slack's limits


@dataclass
class Row:
    measure: str
    value: str
    baseline: str
    ratio: str
    target: str
    met: str


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "n/a"
    r = value / base
    return f"{r:.3f}" if r < 0.1 else f"{r:.2f}"


def at_most(value: float | None, limit: float) -> str:
    """'yes', or 'NO (×F)' where F = value / limit: how many times over the limit."""
    if value is None:
        return "NO (no value)"
    if value <= limit:
        return "yes"
    return f"NO (×{value / limit:.1f})" if limit else "NO"


def at_least(value: float | None, floor: float) -> str:
    """'yes', or 'NO (×F)' where F = floor / value: how many times short of the floor."""
    if value is None:
        return "NO (no value)"
    if value >= floor:
        return "yes"
    return f"NO (×{floor / value:.1f} short)" if value > 0 else "NO (zero)"


def both(*verdicts: str) -> str:
    misses = [v for v in verdicts if v != "yes"]
    return "yes" if not misses else "; ".join(misses)


def mb(kib: float) -> float:
    return kib * 1024 / 1e6


def quick_note(data: dict[str, Any]) -> str:
    return " [--quick]" if data.get("quick") else ""


# -- one function per bench: its rows -------------------------------------------------------------------


def ack_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    rows = []
    baton, bare = data["open"]["baton"], data["open"]["baseline"]
    p99, b99 = baton["p99_ms"], bare["p99_ms"]
    limit = min(ACK_P99_MS, ACK_P99_RATIO * b99) if b99 is not None else ACK_P99_MS
    rows.append(
        Row(
            f"/task ack latency at {data['open_rate']:.0f} req/s, task written (open loop){q}",
            f"p99 {p99:.1f} ms (p50 {baton['p50_ms']:.1f}; {baton['not_2xx']} not 2xx of {baton['answered']})",
            f"p99 {b99:.1f} ms (p50 {bare['p50_ms']:.1f}) bare Bolt ack()",
            ratio(p99, b99),
            f"p99 ≤ {ACK_P99_RATIO}× baseline and ≤ {ACK_P99_MS:.0f} ms (here {limit:.1f} ms)",
            at_most(p99, limit),
        )
    )
    baton, bare = data["closed"]["baton"], data["closed"]["baseline"]
    bad = baton["not_2xx"] + baton["not_created"]
    rows.append(
        Row(
            f"/task throughput, closed loop, {data['closed_clients']} clients, {data['workers']} workers{q}",
            f"{baton['rate']:,.0f} req/s ({baton['not_2xx']} not 2xx, {baton['not_created']} not `Created`)",
            f"{bare['rate']:,.0f} req/s bare Bolt ack()",
            ratio(baton["rate"], bare["rate"]),
            f"≥ {THROUGHPUT:,.0f} req/s, zero non-2xx",
            both(at_least(baton["rate"], THROUGHPUT), "yes" if bad == 0 else f"NO ({bad} bad answers)"),
        )
    )
    if "saving" in data["closed"]:
        rows += saving_rows(data)
    return rows


def ack_pg_rows(data: dict[str, Any]) -> list[Row]:
    """bench/ack.py --postgres: Baton on PostgreSQL against the Bolt app writing one row to PostgreSQL."""
    if data.get("skipped"):
        return [Row("/task on PostgreSQL (bench/ack_pg.py)", f"skipped: {data['skipped']}", "", "", "", "not run")]
    return saving_rows(data, "PostgreSQL")


def saving_rows(data: dict[str, Any], database: str = "SQLite") -> list[Row]:
    """Baton against the floor a command must cost: a bare Bolt app that writes one row to `database` and answers.
    SQLite's rows are labelled as they always were; another database's say which it is."""
    q = quick_note(data)
    late = f", Slack {data.get('slack_delay_ms', 0):.0f} ms late"
    on = "" if database == "SQLite" else f" on {database}"
    store = "SQLite (WAL)" if database == "SQLite" else database
    baton, saving = data["closed"]["baton"], data["closed"]["saving"]
    bad = baton["not_2xx"] + baton["not_created"]
    floor = FLOOR_SHARE * saving["rate"]
    rows = [
        Row(
            f"/task throughput{on} vs a Bolt app saving one row, closed loop, {data['closed_clients']} clients"
            f"{late}{q}",
            f"{baton['rate']:,.0f} req/s, p50 {baton['p50_ms']:.1f} / p99 {baton['p99_ms']:.1f} ms "
            f"({baton['not_2xx']} not 2xx, {baton['not_created']} not `Created`)",
            f"{saving['rate']:,.0f} req/s, p50 {saving['p50_ms']:.1f} / p99 {saving['p99_ms']:.1f} ms "
            f"({saving['not_2xx'] + saving['not_created']} bad) Bolt app writing one row to {store}",
            ratio(baton["rate"], saving["rate"]),
            f"≥ {FLOOR_SHARE}× baseline and ≥ {THROUGHPUT:,.0f} req/s, zero non-2xx",
            both(
                at_least(baton["rate"], floor),
                at_least(baton["rate"], THROUGHPUT),
                "yes" if bad == 0 else f"NO ({bad} bad answers)",
            ),
        )
    ]
    baton, saving = data["open"]["baton"], data["open"]["saving"]
    rows.append(
        Row(
            f"/task p99{on} at an open {data['open_rate']:.0f} req/s vs the Bolt app saving one row{late}{q}",
            f"p99 {baton['p99_ms']:.1f} ms (p50 {baton['p50_ms']:.1f}; {baton['not_2xx']} not 2xx of "
            f"{baton['answered']})",
            f"p99 {saving['p99_ms']:.1f} ms (p50 {saving['p50_ms']:.1f})",
            ratio(baton["p99_ms"], saving["p99_ms"]),
            f"p99 ≤ {ACK_P99_MS:.0f} ms",
            at_most(baton["p99_ms"], ACK_P99_MS),
        )
    )
    delivery = data.get("delivery")
    if delivery:
        outbox = delivery["outbox"]
        sent, rows_total = outbox.get("sent", 0), sum(outbox.values())
        lost = delivery["commands"] - min(delivery["tasks"], rows_total)
        rows.append(
            Row(
                f"/task{on}: assignment DMs sent (outbox) vs `Created` answers, whole ack run",
                f"{sent:,} sent of {delivery['commands']:,} commands ({delivery['tasks']:,} tasks, outbox {outbox}, "
                f"{delivery['drain_s']:.0f} s to drain)",
                f"{delivery['saved_rows']:,} rows for {delivery['saved_commands']:,} `Saved` answers (saving app)",
                ratio(sent, delivery["commands"]),
                "every command's task, outbox row and DM; none lost",
                # Rows still pending are waiting their turn within Slack's 300 messages a minute per workspace
                # (a run of thousands of commands in one workspace takes minutes to deliver), and rows `sending`
                # when the drain stopped are mid-delivery under a lease (taken again if it runs out); failed ones
                # are lost.
                "yes"
                if lost == 0
                and outbox.get("failed", 0) == 0
                and sent + outbox.get("pending", 0) + outbox.get("sending", 0) == rows_total
                else f"NO ({lost} lost, {outbox.get('failed', 0)} failed, {sent} sent)",
            )
        )
    return rows


def planner_rows(data: dict[str, Any]) -> list[Row]:
    rows = []
    largest: dict[str, dict[str, Any]] = {}
    for case in data["cases"]:
        if case["db"] not in largest or case["n"] > largest[case["db"]]["n"]:
            largest[case["db"]] = case
    for db in ("SQLite", "PostgreSQL"):
        case = largest.get(db)
        if case is None:
            why = data.get("postgres_skipped") if db == "PostgreSQL" else None
            rows.append(Row(f"planner scan, {db}", f"not run{f': {why}' if why else ''}", "", "", "", "not run"))
            continue
        n = case["n"]
        size = f"{n:,} open tasks" + ("" if n >= FULL_TASKS else " [smaller than the target's 1 M]")
        p95, b95 = case["now_scan_p95"] * 1000, case["now_noindex_p95"] * 1000
        rows.append(
            Row(
                f"planner scan (ids_due_for_planning, {data['scan_limit']} rows), {db}, {size}",
                f"p95 {p95:.1f} ms (p50 {case['now_scan_p50'] * 1000:.1f})",
                f"p95 {b95:.1f} ms without the index",
                ratio(p95, b95),
                f"p95 ≤ {SCAN_P95_MS:.0f} ms per pass",
                at_most(p95, SCAN_P95_MS),
            )
        )
        if "outage_scan_p95" in case:
            o95, ob95 = case["outage_scan_p95"] * 1000, case["outage_noindex_p95"] * 1000
            rows.append(
                Row(
                    f"planner scan after a 1-day outage ({case['outage_due']:,} due), {db}, {size}",
                    f"p95 {o95:.1f} ms",
                    f"p95 {ob95:.1f} ms without the index",
                    ratio(o95, ob95),
                    f"p95 ≤ {SCAN_P95_MS:.0f} ms per pass",
                    at_most(o95, SCAN_P95_MS),
                )
            )
    return rows


def claim_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    measure = f"claim {data.get('limit', 500)} outbox rows, PostgreSQL, {data.get('claimers', 3)} concurrent claimers"
    if data.get("skipped"):
        return [Row(measure, f"skipped: {data['skipped']}", "", "", "", "not run")]
    procs, one = data["processes"], data["one"]
    p95 = procs["p95_ms"]
    twice = procs["duplicates"]
    # A claim does not count a try (a row is tried just before it is sent), so no row shows more than one.
    complete = procs["rows"] == procs["inserted"] and procs["db"]["max_attempts"] <= 1 and procs["db"]["pending"] == 0
    return [
        Row(
            f"{measure} (processes; {procs['inserted']:,} due beside {data['history']:,} sent){q}",
            f"p95 {p95:.1f} ms (p50 {procs['p50_ms']:.1f}); {twice} claimed twice, "
            f"{procs['rows']:,} of {procs['inserted']:,} claimed",
            f"p95 {one['p95_ms']:.1f} ms (p50 {one['p50_ms']:.1f}) one claimer",
            ratio(p95, one["p95_ms"]),
            f"≤ {CLAIM_MS:.0f} ms per claim (p95), no row claimed twice",
            both(
                at_most(p95, CLAIM_MS),
                "yes" if twice == 0 else f"NO ({twice} claimed twice)",
                "yes" if complete else "NO (rows missed or claimed again)",
            ),
        )
    ]


def delivery_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    busy = data["busy"]
    share = busy["busy_rate"] / busy["ceiling_rate"]
    limited = busy["rate_limited"] / busy["post_calls"] if busy["post_calls"] else 0.0
    dropped = busy["not_sent"] + data.get("many", {}).get("not_sent", 0)
    quiet, alone = busy["quiet_median_delay_s"], busy["quiet_alone_median_delay_s"]
    where = f"{busy['busy']} messages to one channel beside {busy['quiet']} quiet ones{q}"
    return [
        Row(
            f"delivery to a fake Slack (1 msg/s per channel): busy channel rate, {where}",
            f"{busy['busy_rate']:.2f} msg/s ({busy['busy_sent']} sent over {busy['busy_span_s']:.1f} s)",
            f"{busy['ceiling_rate']:.2f} msg/s per-channel ceiling",
            ratio(busy["busy_rate"], busy["ceiling_rate"]),
            f"≥ {CEILING_SHARE:.0%} of the ceiling",
            at_least(share, CEILING_SHARE),
        ),
        Row(
            "delivery: 429s among chat.postMessage calls (busy-channel run)",
            f"{limited:.1%} ({busy['rate_limited']} of {busy['post_calls']})",
            "0 % (a client that paces perfectly)",
            "n/a",
            f"≤ {MAX_429_SHARE:.0%} of calls",
            at_most(limited, MAX_429_SHARE),
        ),
        Row(
            "delivery: rows not sent (both runs)",
            f"{dropped}" + (" (deadline hit)" if busy["timed_out"] else ""),
            "0",
            "n/a",
            "zero drops",
            "yes" if dropped == 0 and not busy["timed_out"] else f"NO ({dropped} not sent)",
        ),
        Row(
            "delivery: quiet channels' median delay, insert to Slack, one channel flooded",
            "n/a" if quiet is None else f"{quiet * 1000:.0f} ms ({busy['quiet_delivered']} of {busy['quiet']})",
            "n/a" if alone is None else f"{alone * 1000:.0f} ms same messages, no flood",
            ratio(quiet, alone),
            f"median ≤ {QUIET_MEDIAN_S:.0f} s",
            at_most(quiet, QUIET_MEDIAN_S),
        ),
    ]


def memory_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    idle, bare = data["idle"], data["bare_idle"]
    workers = len(idle["processes"]) - 1
    rss, pss = mb(idle["rss_sum_kib"]), mb(idle["pss_sum_kib"])
    passed = data["after_pass"]
    hwm = mb(passed["hwm_kib"])
    n = passed["n"]
    size = f"{n:,} tasks" + ("" if n >= FULL_TASKS else " [smaller than the target's 1 M]")
    return [
        Row(
            f"memory, one idle replica (gunicorn master + {workers} workers), sum of VmRSS{q}",
            f"{rss:.1f} MB",
            f"{mb(bare['rss_sum_kib']):.1f} MB bare Bolt app, same gunicorn",
            ratio(rss, mb(bare["rss_sum_kib"])),
            f"≤ {IDLE_MB:.0f} MB",
            at_most(rss, IDLE_MB),
        ),
        Row(
            "memory, one idle replica, sum of Pss (pages shared after the fork counted once)",
            f"{pss:.1f} MB",
            f"{mb(bare['pss_sum_kib']):.1f} MB bare Bolt app",
            ratio(pss, mb(bare["pss_sum_kib"])),
            f"≤ {IDLE_MB:.0f} MB",
            at_most(pss, IDLE_MB),
        ),
        Row(
            f"memory, one process after a pass over {size} (VmHWM)",
            f"{hwm:.1f} MB ({passed['planned']} planned, {passed['sent']} sent)",
            f"{mb(passed['ready_rss_kib']):.1f} MB once built and connected",
            ratio(hwm, mb(passed["ready_rss_kib"])),
            f"≤ {PASS_MB:.0f} MB",
            at_most(hwm, PASS_MB),
        ),
    ]


def people_time_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    full, every = data["per_day"]["full_load"], data["per_day"]["all"]
    wrong = {"outside their working hours": data["outside_hours"], "on their public holidays": data["on_holidays"]}
    wrong["while away by Slack status"] = data["while_away"]
    lost = data["outbox"]["lost"] + data["outbox"]["twice"]
    team = f"{data['agents']} people, {data['weeks']} weeks, a pass every 15 min{q}"
    rows = [
        Row(
            f"scheduler DMs per person and working day, people with 12 open tasks ({team})",
            f"p95 {full['p95']} (p50 {full['p50']}, max {full['max']}; {full['days']} person-days)",
            f"p95 {every['p95']} (p50 {every['p50']}) everyone",
            ratio(full["p95"], every["p95"]),
            f"p95 ≤ {DMS_PER_DAY_P95}",
            at_most(full["p95"], DMS_PER_DAY_P95),
        )
    ]
    for said, count in wrong.items():
        rows.append(Row(f"scheduler DMs {said}", str(count), "0", "n/a", "0", "yes" if count == 0 else f"NO ({count})"))
    rows.append(
        Row(
            "follow-ups lost or sent twice (every planned key sent once, or skipped with a reason)",
            str(lost),
            "0",
            "n/a",
            "0",
            "yes" if lost == 0 else f"NO ({lost})",
        )
    )
    return rows


def within_floor(span: float | None, floor: float) -> str:
    """'yes' when the span is within FLOOR_RATIO of the floor (a floor of 0 allows 0 only), else by how much."""
    if span is None:
        return "NO (nothing delivered)"
    if span <= FLOOR_RATIO * floor + 1e-6:
        return "yes"
    return f"NO (×{span / floor:.2f} the floor)" if floor else f"NO ({span:.1f} s over a floor of 0)"


def burst_rows(data: dict[str, Any]) -> list[Row]:
    q = quick_note(data)
    rows = []
    a = data["burst"]
    runs = [(f"{a['people']} people × {a['tasks_each']} tasks (bundled: {a['messages']} DMs)", a)]
    runs += [(f"{v['people']} people × 1 task ({v['messages']} DMs, nothing to bundle)", v) for v in data["variants"]]
    for label, run in runs:
        span, floor = run["span_s"], run["floor_s"]
        rows.append(
            Row(
                f"burst: every warning due at once, {label}: first to last delivered (simulated){q}",
                "n/a" if span is None else f"{span:.1f} s ({run['messages']} messages to {run['recipients']} people)",
                f"{floor:.1f} s floor from Slack's limits for those messages",
                ratio(span, floor),
                f"≤ {FLOOR_RATIO}× the floor",
                within_floor(span, floor),
            )
        )
    backlog = data.get("backlog")
    if backlog is not None:
        span, floor = backlog["span_s"], backlog["floor_s"]
        rows.append(
            Row(
                f"burst: a backlog of {backlog['messages']} assignment DMs at once, {backlog['people']} people × "
                f"{backlog['tasks_each']}: first to last delivered (simulated){q}",
                "n/a" if span is None else f"{span:.1f} s (a minute: {', '.join(map(str, backlog['per_minute']))})",
                f"{floor:.1f} s floor from Slack's limits for those messages",
                ratio(span, floor),
                f"≤ {FLOOR_RATIO}× the floor",
                within_floor(span, floor),
            )
        )
    phases = [a, *data["variants"], data["setup"], data["storm"], data["lost"]["burst"], data["lost_followed"]["burst"]]
    phases += [backlog] if backlog is not None else []
    calls = sum(p["calls"] for p in phases)
    limited = sum(p["ratelimited"] for p in phases)
    held = sum(p["held_back"] for p in phases)
    share = limited / calls if calls else 0.0
    rows.append(
        Row(
            "burst: 429s among all Web API calls (every run: bursts, setups, lost answers)",
            f"{share:.2%} ({limited} of {calls}; {held} more held back by Baton's own budgets)",
            "0 % (a client that paces perfectly)",
            "n/a",
            f"≤ {MAX_429_SHARE:.0%} of calls",
            at_most(share, MAX_429_SHARE),
        )
    )
    bursts = [a, *data["variants"], *([backlog] if backlog is not None else [])]
    twice, lost = sum(r["duplicates"] for r in bursts), sum(r["lost"] for r in bursts)
    unsettled = [r for r in bursts if not r["settled"]]
    rows.append(
        Row(
            "burst: messages sent twice / lost (bursts above)",
            f"{twice} / {lost}" + (" (deadline hit)" if unsettled else ""),
            "0 / 0",
            "n/a",
            "0 duplicates, 0 lost",
            "yes" if twice == lost == 0 and not unsettled else f"NO ({twice} twice, {lost} lost)",
        )
    )
    for setup in (data["setup"], data["storm"]):
        homes = setup["homes"]
        dropped = homes["stale"] + homes["missing_tasks"]
        rows.append(
            Row(
                f"burst: Home tabs after {setup['requests']} /task and Accept requests, one every "
                f"{setup['request_every_s']:g} s ({setup['people']} people)",
                f"{homes['stale']} not published after the last change; {homes['ratelimited']} 429s of "
                f"{homes['publishes']} views.publish ({homes['held_back']} attempts held back by Baton)",
                f"{homes['people']} Home tabs to keep fresh",
                ratio(homes["publishes"], homes["people"]),
                "none dropped, 0 429s",
                "yes" if dropped == 0 and homes["ratelimited"] == 0 else f"NO ({dropped} dropped)",
            )
        )
    for name, lost_answer in (
        ("nothing after it", data["lost"]),
        ("20 typed + 1 Baton post after it", data["lost_followed"]),
    ):
        found, floor = lost_answer["reconciled_s"], lost_answer["floor_s"]
        posts = lost_answer["posts_with_keys"]
        rows.append(
            Row(
                f"burst: lost answer in a DM of {lost_answer['dm_before']} messages, {name} (2025 history limits)",
                ("NOT FOUND" if found is None else f"found after {found:.0f} s")
                + f"; {lost_answer['history_calls']} history calls; {posts} message(s) with its keys",
                f"{floor:.0f} s floor ({lost_answer['pages']} page(s) of 15, 1 call a minute)",
                ratio(found, floor),
                "found, never posted twice",
                both(
                    "yes" if found is not None else "NO (not found)",
                    "yes" if posts == 1 and lost_answer["duplicates"] == 0 else f"NO ({posts} messages)",
                ),
            )
        )
    return rows


ROWS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "ack": ack_rows,
    "ack_pg": ack_pg_rows,
    "planner": planner_rows,
    "claim": claim_rows,
    "delivery": delivery_rows,
    "memory": memory_rows,
    "people_time": people_time_rows,
    "burst": burst_rows,
}


def load(paths: list[Path]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The JSON of each bench found under `paths` (files, or directories holding <bench>.json), and problems."""
    found: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += [path / f"{bench}.json" for bench in BENCHES if (path / f"{bench}.json").exists()]
        elif path.exists():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or directory")
    for file in files:
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError) as error:
            problems.append(f"{file}: not readable as JSON ({error})")
            continue
        bench = data.get("bench") if isinstance(data, dict) else None
        if bench not in ROWS:
            problems.append(f"{file}: not a bench result (its `bench` is {bench!r})")
            continue
        found[str(bench)] = data
    return found, problems


def table(found: dict[str, dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for bench in BENCHES:
        data = found.get(bench)
        if data is None:
            rows.append(Row(f"bench/{bench}.py", "not run (no JSON)", "", "", "", "not run"))
            continue
        try:
            rows += ROWS[bench](data)
        except (KeyError, TypeError, ZeroDivisionError) as error:
            rows.append(Row(f"bench/{bench}.py", f"incomplete JSON ({type(error).__name__}: {error})", "", "", "", "?"))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="a directory of <bench>.json files, or the files")
    args = parser.parse_args(argv)
    found, problems = load(args.paths)
    for problem in problems:
        print(f"[targets] {problem}", file=sys.stderr)
    if not found:
        print("[targets] no bench results found: run the bench scripts with --json first", file=sys.stderr)
        return 2
    rows = table(found)
    quick = sorted(bench for bench, data in found.items() if data.get("quick"))
    print("Targets" + (f" (--quick runs: {', '.join(quick)}; smoke figures, not a verdict)" if quick else ""))
    print()
    print("| measure | value | baseline | ratio | target | met? |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row.measure} | {row.value} | {row.baseline} | {row.ratio} | {row.target} | {row.met} |")
    met = sum(1 for row in rows if row.met == "yes")
    print(f"\n{met} of {len(rows)} rows met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
