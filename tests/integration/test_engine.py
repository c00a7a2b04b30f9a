"""Grader mechanisms on the local backend: deadlines, services, an absent Docker."""

import shutil
import time
from pathlib import Path

import pytest

from grader import grade, load_manifest
from grader._backends import LocalBackend
from grader._scoring import score
from grader._submission import stage

SUITES = Path(__file__).parents[1] / "suites"
SUBMISSIONS = Path(__file__).parents[1] / "submissions"


def test_a_suite_past_its_deadline_is_no_grade_but_keeps_what_finished(tmp_path):
    results = grade(lab="deadline-demo", submission=tmp_path, backend="local", suites_dir=SUITES)
    quick, slow = results.tests
    assert (quick.status, slow.status, results.status, results.score) == ("passed", "error", "error", 0)
    assert results.message == "the hidden suite did not finish within its 10 s time limit"
    assert slow.message == "not run: the hidden suite hit its 10 s time limit"
    assert results.duration_s < 30


@pytest.mark.skipif(
    not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
    reason="needs PostgreSQL and Redis installed on this machine",
)
def test_services_start_and_reach_learner_code():
    results = grade(lab="services-demo", submission=SUBMISSIONS / "services-demo", backend="local", suites_dir=SUITES)
    assert results.status == "passed", [t.message for t in results.tests]


def test_docker_backend_without_a_daemon_cannot_grade(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    results = grade(lab="00-hello", backend="docker")
    assert (results.status, results.exit_code, results.score) == ("error", 2, 0)
    assert results.message.startswith("Docker is not available")


def test_factories_start_apps_modules_and_call_processes():
    results = grade(lab="processes-demo", submission=SUBMISSIONS / "processes-demo", backend="local", suites_dir=SUITES)
    assert results.status == "passed", [t.message for t in results.tests]


def test_test_groups_run_side_by_side_and_each_stops_only_its_own_processes():
    results = grade(lab="groups-demo", submission=SUBMISSIONS / "processes-demo", backend="local", suites_dir=SUITES)
    assert results.status == "passed", [t.message for t in results.tests]


def test_a_run_records_where_its_time_goes(tmp_path):
    """The timing records `make bench` reads: supervisor, services, collection, each test's start,
    learner start-ups (apps and call processes), the end - in that order on one wall clock."""
    manifest = load_manifest("processes-demo", SUITES)
    before = time.time()
    run = LocalBackend().run(manifest, stage(SUBMISSIONS / "processes-demo", tmp_path / "submission"))
    after = time.time()
    events = {r["event"]: r for r in run.records if "event" in r}
    tests = [r for r in run.records if "nodeid" in r]
    starts = [r for r in run.records if r.get("event") == "learner-start"]
    assert before <= events["supervisor"]["at"] <= events["services-up"]["at"] <= events["collected"]["at"]
    assert events["services-up"]["seconds"] >= 0 and events["services-up"]["services"] == []
    assert all(events["collected"]["at"] <= t["started_at"] <= events["finished"]["at"] <= after for t in tests)
    assert {s["kind"] for s in starts} == {"app", "calls"}, starts
    assert all(0 < s["seconds"] < 60 and events["collected"]["at"] <= s["at"] <= after for s in starts)
    assert score(manifest, run, backend="local", duration_s=after - before).status == "passed"
