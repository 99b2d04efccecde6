from datetime import timedelta
from tests.conftest import Harness
from tests.service.test_exactly_once import run_passes, ny
from tests.fakes.slack_api import U_MANAGER
from datetime import datetime, UTC

def test_probe(harness: Harness) -> None:
    harness.slack.add_user("U0CAROL", tz="America/New_York")
    harness.command("setup", user=U_MANAGER, command="/team", channel="C0TEAM")
    harness.command("<@U0CAROL> one", user=U_MANAGER, channel="C0TEAM")
    harness.command("<@U0CAROL> two", user=U_MANAGER, channel="C0TEAM")
    mon = datetime(2026, 12, 7, 16, tzinfo=UTC)  # 11:00 NY
    wed = datetime(2026, 12, 9, 16, tzinfo=UTC)
    posts = run_passes(harness, [mon, wed, wed + timedelta(seconds=1), wed + timedelta(seconds=2), wed + timedelta(seconds=3)])
    for p in posts: print(ny(p.at), p.key)
