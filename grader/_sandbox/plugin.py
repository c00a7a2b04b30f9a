"""The pytest plugin that records hidden-test outcomes (loaded with ``-p grader._sandbox.plugin``).

One JSON line per test is appended, flushed and fsynced as soon as the test ends, so a run
killed at its deadline still leaves the records of every test that finished. The host turns
records into scores; nothing the learner prints or exits with is ever consulted.
"""

from __future__ import annotations

import functools
import json
import os
import time

import pytest

from .config import SandboxConfig

pytest_plugins = ["grader._sandbox.fixtures"]

OUTPUT_LIMIT = 6000
_reports: dict[str, list] = {}
_started_at: dict[str, float] = {}  # wall clock, comparable with the host's (for `make bench`)


@functools.cache
def _config() -> SandboxConfig:
    """This pytest process's settings (its test group's), read from the environment once."""
    return SandboxConfig.from_env()


_lost = 0  # records that could not be written (a full disk): the run is then no grade


def _write(record: dict) -> None:
    """Append one line in one write: test groups' pytest processes append to the same file."""
    global _lost
    try:
        fd = os.open(_config().records_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            line = (json.dumps(record) + "\n").encode()
            if os.write(fd, line) != len(line):
                raise OSError("short write")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        _lost += 1


def _message(report) -> str:
    """One line saying what went wrong, taken from the exception pytest caught."""
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return f"skipped ({reason.removeprefix('Skipped: ')})"
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    first = text.strip().splitlines()[0] if text.strip() else "failed"
    for prefix in (
        "AssertionError: ",
        "Failed: ",
        "grader._sandbox.learner.LearnerError: ",
        "grader._sandbox.learner.LearnerCrash: ",
    ):
        first = first.removeprefix(prefix)
    return first[:500]


def _outcome(reports) -> tuple[str, str]:
    for report in reports:  # setup, call, teardown, in that order
        if report.skipped:
            return "skipped", _message(report)
        if report.failed:
            return ("failed" if report.when == "call" else "error"), _message(report)
    return "passed", ""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:  # show what the learner's processes printed, next to the failure
        for value in getattr(item, "funcargs", {}).values():
            tail = value.log_tail() if hasattr(value, "log_tail") else ""
            if tail:
                report.sections.append(("learner output (last lines)", tail))


def pytest_runtest_logreport(report):
    _reports.setdefault(report.nodeid, []).append(report)


def _details(report) -> str:
    """What went wrong, for the learner: the assertion's explanation and the learner's output.

    Never pytest's traceback: it quotes the hidden test's source lines.
    """
    crash = getattr(report.longrepr, "reprcrash", None)
    parts = [crash.message if crash is not None else _message(report)]
    parts += [f"--- {title} ---\n{body}" for title, body in report.sections if title.startswith("learner")]
    return "\n\n".join(parts)


def pytest_runtest_logstart(nodeid, location):
    _started_at[nodeid] = time.time()


def pytest_runtest_logfinish(nodeid, location):
    reports = _reports.pop(nodeid, [])
    outcome, message = _outcome(reports)
    output = "\n\n".join(_details(r) for r in reports if r.failed or r.skipped)
    _write(
        {
            "nodeid": nodeid,
            "outcome": outcome,
            "message": message,
            "output": output[-OUTPUT_LIMIT:],
            "duration_s": round(sum(r.duration for r in reports), 3),
            "started_at": round(_started_at.pop(nodeid, time.time()), 3),
        }
    )


def pytest_collectreport(report):
    if report.failed:
        _write(
            {
                "nodeid": report.nodeid,
                "outcome": "error",
                "message": f"could not collect: {_message(report)}",
                "output": "",
                "duration_s": 0,
            }
        )


def pytest_collection_finish(session):
    """Every test id collected: a test with no record of its own scores nothing."""
    nodeids = [item.nodeid for item in session.items]
    _write({"event": "collected", "group": _config().group, "nodeids": nodeids, "at": time.time()})
    # The services started beside pytest: wait for them here, outside every test's time limit.
    _config().with_services()


def pytest_sessionfinish(session, exitstatus):
    _write(
        {
            "event": "finished",
            "group": _config().group,
            "exitstatus": int(exitstatus),
            "records_lost": _lost,
            "at": time.time(),
        }
    )
