"""Why a request failed, when the grader stopped learner code on purpose (grader._sandbox).

A timeout in one app makes the grader kill every learner process, so a lab with two apps (Lab 05's
two processes) also loses the requests the other app was serving. Those must say the grader
stopped the app, and why - not "killed (SIGKILL) - did it exceed the memory limit?", which sends
the learner after a memory bug they do not have.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from grader._sandbox.config import SandboxConfig
from grader._sandbox.learner import LearnerApp, LearnerCrash
from grader._sandbox.processes import kill_all, killed_for

APP = """\
import asyncio


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (message := await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/sleep":
        await asyncio.sleep(60)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@pytest.fixture
def sandbox(tmp_path: Path):
    for name in ("submission", "private", "scratch"):
        (tmp_path / name).mkdir()
    (tmp_path / "submission" / "app.py").write_text(APP)
    cfg = SandboxConfig(
        suite_dir=str(tmp_path),
        submission_dir=str(tmp_path / "submission"),
        private_dir=str(tmp_path / "private"),
        scratch_dir=str(tmp_path / "scratch"),
        app="app:app",
        request_timeout_s=1.0,
        startup_timeout_s=30.0,
    )
    yield cfg
    kill_all(cfg)


def test_the_other_apps_requests_say_why_the_grader_stopped_it(sandbox):
    timing_out = LearnerApp(sandbox).ensure_running()
    other = LearnerApp(sandbox.replace(request_timeout_s=30.0)).ensure_running()
    assert other.request("GET", "/").status_code == 200
    failures: list[str] = []

    def serve_a_slow_request():
        try:
            other.request("GET", "/sleep")
        except LearnerCrash as crash:
            failures.append(str(crash))

    beside = threading.Thread(target=serve_a_slow_request)
    beside.start()
    with pytest.raises(LearnerCrash, match="got no answer within 1 s"):
        timing_out.request("GET", "/sleep")
    beside.join(timeout=30)
    assert failures == ["GET /sleep failed: the grader stopped your app (a request got no answer within 1 s)"], (
        "the request to the other app, killed by the grader beside the one that timed out"
    )
    restarted = other.ensure_running()
    assert restarted.request("GET", "/").status_code == 200
    assert killed_for(restarted.process) is None, "a process started after the kill was not stopped for it"


def test_a_request_given_its_own_timeout_says_so(sandbox):
    app = LearnerApp(sandbox).ensure_running()
    with pytest.raises(LearnerCrash, match=r"got no answer within 1\.5 s"):
        app.request("GET", "/sleep", timeout=1.5)
