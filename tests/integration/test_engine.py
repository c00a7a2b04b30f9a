"""Grader mechanisms on the local backend: deadlines, services, an absent Docker."""

import shutil
from pathlib import Path

import pytest

from grader import grade

SUITES = Path(__file__).parents[1] / "suites"
SUBMISSIONS = Path(__file__).parents[1] / "submissions"


def test_a_suite_past_its_deadline_keeps_what_finished(tmp_path):
    results = grade(lab="deadline-demo", submission=tmp_path, backend="local", suites_dir=SUITES)
    quick, slow = results.tests
    assert (quick.status, slow.status, results.status) == ("passed", "error", "failed")
    assert slow.message == "not run: the hidden suite hit its 10 s time limit"
    assert results.duration_s < 30


@pytest.mark.skipif(not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
                    reason="needs PostgreSQL and Redis installed on this machine")
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
