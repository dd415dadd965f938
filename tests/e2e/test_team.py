"""The main real-client flows on the team configuration: FerretDB as the MongoDB server,
the Elasticsearch 7.17 node for events and statistics, redis-server (the same flows as
test_tracking.py and test_remote.py, on the embedded stores)."""

from __future__ import annotations

import test_remote as remote
import test_tracking as tracking
from e2e_harness import E2E


def test_tracking_round_trip_on_the_team_stores(e2e_team: E2E) -> None:
    tracking.test_tracking_round_trip(e2e_team, "clearml")


def test_clearml_agent_daemon_runs_a_cloned_task_on_the_team_stores(e2e_team: E2E) -> None:
    remote.daemon_runs_clone(e2e_team, "clearml", "clearml-agent", 0.5, 240)
