"""The public API for writing a hidden suite (``grader/suites/<lab>/``).

Hidden tests run in the sandbox as a trusted user and reach learner code only through what
this module offers; no suite imports a private ``grader._*`` module. The fixtures (``app``,
``learner``, ``start_app``, ``start_learner``, ``spawn_module``, ``shared_app``,
``shared_learner``, ``new_database``, ``postgres_url``, ``redis_url``, ``sandbox``) are loaded
for every suite by the grader; this module holds the classes behind them and the helpers suites
share::

    from grader.testing import LearnerError, call, running

    def test_quote(learner):
        assert call(learner, "app.pricing:quote_total", 899, 15) == 764

``grader/suites/README.md`` is the guide, with an example suite.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any, Literal, NoReturn, TypeVar

import pytest

from ._sandbox.config import SandboxConfig
from ._sandbox.learner import LearnerApp, LearnerCrash, LearnerError, LearnerLib, LearnerProcess, where_in_submission
from ._sandbox.ports import PortWait, free_port, wait_for_port
from ._sandbox.processes import kill_all
from ._sandbox.services import READER_URL_VARIABLE

__all__ = [
    "Database",
    "LearnerApp",
    "LearnerCrash",
    "LearnerError",
    "LearnerLib",
    "LearnerProcess",
    "PortWait",
    "SandboxConfig",
    "TimeBudget",
    "as_reader",
    "call",
    "fail",
    "free_port",
    "running",
    "stop_learner_code",
    "timed",
    "wait_for_port",
]

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """Fail the test with ``message`` alone: no traceback, which would quote the hidden test."""
    pytest.fail(message, pytrace=False)


def running(app: LearnerApp) -> LearnerApp:
    """``app``, started (or restarted, if a previous test killed it); a start that fails fails
    the test with the one-line reason. For apps a suite shares across tests."""
    try:
        return app.ensure_running()
    except LearnerCrash as exc:
        fail(str(exc))


def call(learner: LearnerLib, target: str, *args: Any, **kwargs: Any) -> Any:
    """``learner.call(target, ...)``, but a ``NotImplementedError`` (the untouched scaffold) or a
    crash fails the test at once with a one-line message; any other learner exception is raised
    as ``LearnerError`` for the test to check."""
    try:
        return learner.call(target, *args, **kwargs)
    except LearnerError as exc:
        if exc.type == "NotImplementedError":
            # Name the learner's own function that raised it, not a provided one that called it.
            where = where_in_submission(exc.traceback, learner.cfg.submission_dir)
            name = f"{where[2]} ({where[0]}, line {where[1]})" if where and where[2] else target
            fail(f"{name} is not implemented yet: {exc.message}")
        raise
    except LearnerCrash as exc:
        fail(str(exc))


@dataclasses.dataclass(frozen=True)
class Database:
    """An empty database from the ``new_database`` fixture, usable by the test and by learner code
    (its own user). ``url`` is SQLAlchemy's (``sqlite:///...``, ``postgresql+psycopg://...``)."""

    kind: Literal["sqlite", "postgres"]
    url: str
    path: str | None = None  # the SQLite file


def as_reader(url: str) -> str:
    """``url`` - a database of the lab's throwaway PostgreSQL, as ``postgres_url`` or
    ``new_database`` give it - logged in as the read-only role checks should read learner tables
    as. The suite's own URL is the superuser's: a function called by a learner's view, default or
    index would run with that power when the suite reads through it. (Learner code itself always
    logs in as the ``learner`` role, whatever URL a suite hands it.)"""
    reader = SandboxConfig.from_env().with_services().service_env.get(READER_URL_VARIABLE, "")
    if "://" not in url or "@" not in url or not reader:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{reader.split('://', 1)[1].split('@', 1)[0]}@{rest.split('@', 1)[1]}"


def stop_learner_code(sandbox: SandboxConfig) -> None:
    """SIGKILL every process of learner code, before a reference is timed: in the container that is
    every process of the learner's user, so a daemon that left its session (which ``stop()`` of a
    learner misses) cannot take the CPU from the reference. The next call starts learner code again."""
    kill_all(sandbox, reason="the suite stopped all learner code to time the reference alone")


def timed(function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``function(*args, **kwargs)`` and the seconds it took (wall clock, ``time.perf_counter``)."""
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


@dataclasses.dataclass(frozen=True)
class TimeBudget:
    """How long learner code may take: ``factor`` times a reference measured in the same run, on
    the same machine under the same load, plus ``slack_s`` - never absolute seconds, so a slow or
    busy machine does not fail a correct submission. Run the reference as trusted code on state the
    suite built alone, with no learner code running (:func:`stop_learner_code`), so that learner code
    cannot slow it::

        stop_learner_code(sandbox)
        _, reference_s = timed(load_with_the_reference, path)
        budget = TimeBudget(reference_s, factor=5, slack_s=1)
        _, took_s = timed(call, learner, "app.bulk:load", path, timeout_s=budget.timeout_s)
        budget.check(took_s, what="loading 100,000 rows", hint="insert in batches, not row by row")
    """

    reference_s: float
    factor: float
    slack_s: float = 0.0

    @property
    def allowed_s(self) -> float:
        return self.factor * self.reference_s + self.slack_s

    @property
    def timeout_s(self) -> float:
        """For a learner call timed against this budget: long enough to measure a slow one."""
        return self.allowed_s + 5

    def check(self, took_s: float, *, what: str, hint: str = "") -> None:
        """Fail the test, saying expected and got, when ``took_s`` is over the budget."""
        if took_s > self.allowed_s:
            fail(
                f"{what} took {took_s:.2f} s; the reference took {self.reference_s:.2f} s on this machine just now"
                f" (allowed: {self.factor:g}x + {self.slack_s:g} s = {self.allowed_s:.2f} s)"
                + (f" - {hint}" if hint else "")
            )
