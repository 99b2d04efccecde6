"""bench/targets.py: the verdicts it prints from the bench scripts' JSON (met, missed by how much, not run)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TARGETS = Path(__file__).resolve().parents[2] / "bench" / "targets.py"


@pytest.fixture(scope="module")
def targets() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_targets", TARGETS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _ack(p99: float, rate: float, not_2xx: int = 0) -> dict[str, Any]:
    def phase(p99_ms: float, rate: float, bad: int) -> dict[str, Any]:
        return {"p50_ms": p99_ms / 2, "p99_ms": p99_ms, "rate": rate, "answered": 100, "not_2xx": bad,
                "not_created": 0}  # fmt: skip

    return {
        "bench": "ack", "quick": False, "open_rate": 100.0, "closed_clients": 8, "workers": 2,
        "open": {"baton": phase(p99, 0, 0), "baseline": phase(4.0, 0, 0)},
        "closed": {"baton": phase(10, rate, not_2xx), "baseline": phase(1, 4000, 0)},
    }  # fmt: skip


def _planner(n: int, p95_s: float, quick: bool) -> dict[str, Any]:
    case = {"db": "SQLite", "n": n, "now_scan_p50": p95_s / 2, "now_scan_p95": p95_s, "now_noindex_p95": 0.2}
    return {"bench": "planner", "quick": quick, "scan_limit": 500, "postgres_skipped": "--no-postgres",
            "cases": [case]}  # fmt: skip


def _claim(duplicates: int) -> dict[str, Any]:
    procs = {"p50_ms": 4.0, "p95_ms": 8.0, "rows": 1000, "inserted": 1000, "duplicates": duplicates,
             "db": {"pending": 0, "sending": 1000, "max_attempts": 1}}  # fmt: skip
    return {"bench": "claim", "quick": False, "skipped": None, "history": 5000, "limit": 500, "claimers": 3,
            "processes": procs, "one": {"p50_ms": 3.0, "p95_ms": 5.0}}  # fmt: skip


def _rows(targets: ModuleType, *results: dict[str, Any]) -> dict[str, str]:
    """measure -> met? for the rows the results produce."""
    return {row.measure: row.met for row in targets.table({r["bench"]: r for r in results})}


def test_a_missed_target_says_by_what_factor(targets: ModuleType) -> None:
    met = _rows(targets, _ack(p99=30.0, rate=500.0))
    latency = next(v for k, v in met.items() if k.startswith("/task ack latency"))
    throughput = next(v for k, v in met.items() if k.startswith("/task throughput"))
    assert latency == "NO (×5.0)"  # the limit is min(15 ms, 1.5 × 4 ms) = 6 ms
    assert throughput == "NO (×2.0 short)"


def test_met_targets_say_yes_and_a_bad_answer_fails_throughput(targets: ModuleType) -> None:
    met = _rows(targets, _ack(p99=5.0, rate=1500.0))
    assert [v for k, v in met.items() if k.startswith("/task")] == ["yes", "yes"]
    bad = _rows(targets, _ack(p99=5.0, rate=1500.0, not_2xx=3))
    assert next(v for k, v in bad.items() if k.startswith("/task throughput")) == "NO (3 bad answers)"


def test_a_smaller_run_is_labelled_and_a_missing_database_says_not_run(targets: ModuleType) -> None:
    met = _rows(targets, _planner(10_000, 0.004, quick=True))
    sqlite = next(k for k in met if "SQLite" in k)
    assert "smaller than the target's 1 M" in sqlite and met[sqlite] == "yes"
    assert met["planner scan, PostgreSQL"] == "not run"
    assert met["bench/ack.py"] == "not run"


def test_a_row_claimed_twice_fails_the_claim_target(targets: ModuleType) -> None:
    assert next(v for k, v in _rows(targets, _claim(0)).items() if k.startswith("claim")) == "yes"
    twice = next(v for k, v in _rows(targets, _claim(2)).items() if k.startswith("claim"))
    assert twice.startswith("yes") is False and "2 claimed twice" in twice


def test_the_cli_prints_the_table_and_refuses_unreadable_input(
    targets: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "claim.json").write_text(json.dumps(_claim(0)))
    (tmp_path / "ack.json").write_text("{not json")
    assert targets.main([str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "| measure | value | baseline | ratio | target | met? |" in out
    assert "ack.json: not readable as JSON" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    assert targets.main([str(empty), str(tmp_path / "missing.json")]) == 2
    _, err = capsys.readouterr()
    assert "missing.json: no such file or directory" in err and "no bench results found" in err


def test_baton_is_held_to_the_app_that_saves_the_command_and_nothing_may_be_lost(targets: ModuleType) -> None:
    data = _ack(p99=12.0, rate=1200.0)
    saving = {"p50_ms": 1.0, "p99_ms": 8.0, "rate": 3000.0, "answered": 100, "not_2xx": 0, "not_created": 0}
    data["closed"]["saving"], data["open"]["saving"] = saving, saving
    data["slack_delay_ms"] = 30.0
    data["delivery"] = {"commands": 10, "tasks": 10, "outbox": {"sent": 10}, "drain_s": 1.0, "saved_rows": 9,
                        "saved_commands": 9}  # fmt: skip
    rows = {row.measure: row for row in targets.table({"ack": data})}
    throughput = next(r for k, r in rows.items() if "vs a Bolt app saving one row" in k)
    assert throughput.ratio == "0.40"
    assert throughput.met == "NO (×1.2 short)"  # 1,200/s is over 1,000/s but under half of 3,000/s
    open_loop = next(r for k, r in rows.items() if k.startswith("/task p99 at an open"))
    assert open_loop.met == "yes"
    delivered = next(r for k, r in rows.items() if k.startswith("/task: assignment DMs"))
    assert delivered.met == "yes"
    data["delivery"]["outbox"] = {"sent": 8, "pending": 1}  # one command without its row: lost
    rows = {row.measure: row for row in targets.table({"ack": data})}
    assert (
        next(r for k, r in rows.items() if k.startswith("/task: assignment DMs")).met == "NO (1 lost, 0 failed, 8 sent)"
    )
    data["delivery"]["outbox"] = {"sent": 8, "pending": 2}  # every row there, two waiting for Slack's budget
    rows = {row.measure: row for row in targets.table({"ack": data})}
    assert next(r for k, r in rows.items() if k.startswith("/task: assignment DMs")).met == "yes"
    data["delivery"]["outbox"] = {"sent": 8, "pending": 1, "failed": 1}  # a failed DM is lost
    rows = {row.measure: row for row in targets.table({"ack": data})}
    assert (
        next(r for k, r in rows.items() if k.startswith("/task: assignment DMs")).met == "NO (0 lost, 1 failed, 8 sent)"
    )


def test_the_postgresql_run_gets_rows_of_its_own_beside_sqlites(targets: ModuleType) -> None:
    def run(bench: str, database: str, rate: float) -> dict[str, Any]:
        data = _ack(p99=12.0, rate=rate)
        saving = {"p50_ms": 1.0, "p99_ms": 8.0, "rate": 1500.0, "answered": 100, "not_2xx": 0, "not_created": 0}
        data["closed"]["saving"], data["open"]["saving"] = saving, saving
        data["bench"], data["database"], data["slack_delay_ms"] = bench, database, 30.0
        data["delivery"] = {"commands": 10, "tasks": 10, "outbox": {"sent": 10}, "drain_s": 1.0, "saved_rows": 9,
                            "saved_commands": 9}  # fmt: skip
        return data

    rows = {row.measure: row for row in targets.table({"ack": run("ack", "sqlite", 1200.0),
                                                       "ack_pg": run("ack_pg", "postgresql", 700.0)})}  # fmt: skip
    sqlite = next(r for k, r in rows.items() if k.startswith("/task throughput vs a Bolt app saving one row"))
    assert sqlite.met == "yes" and "to SQLite (WAL)" in sqlite.baseline
    postgres = next(r for k, r in rows.items() if k.startswith("/task throughput on PostgreSQL vs a Bolt app"))
    assert postgres.ratio == "0.47" and postgres.met == "NO (×1.1 short); NO (×1.4 short)"
    assert "writing one row to PostgreSQL" in postgres.baseline
    assert next(r for k, r in rows.items() if k.startswith("/task p99 on PostgreSQL at an open")).met == "yes"
    assert next(r for k, r in rows.items() if k.startswith("/task on PostgreSQL: assignment DMs")).met == "yes"
    assert sum(1 for k in rows if k.startswith("/task p99 at an open")) == 1  # SQLite's rows keep their labels

    skipped = {"bench": "ack_pg", "quick": True, "database": "postgresql", "skipped": "nothing at 127.0.0.1"}
    met = _rows(targets, skipped)
    assert met["/task on PostgreSQL (bench/ack_pg.py)"] == "not run"
