"""Fixtures the hidden suites use. They are the only way a test reaches learner code.

* ``app``: the learner's web app, running (restarted if a previous test killed it);
  ``app.request(method, path, ...)`` returns an ``httpx.Response``.
* ``learner``: ``learner.call("package.module:function", *args, **kwargs)``.
* ``postgres_url`` / ``redis_url``: the throwaway servers the manifest asked for.
* ``sandbox``: the ``SandboxConfig``.

Factories, for tests that need their own (stopped at the end of the test):
* ``start_app(env=None, app=None)`` -> a running ``LearnerApp`` (e.g. with its own DATABASE_URL);
* ``start_learner(env=None)`` -> a ``LearnerLib`` whose calls run in a fresh process;
* ``spawn_module("app.worker", "--flag", env=None)`` -> a ``LearnerProcess`` (a worker, a CLI);
* ``new_database("sqlite" | "postgres")`` -> an empty ``Database`` both sides can use.

Shared factories (session-scoped: what they start lives until the end of the suite, since
starting learner processes is the slow part of most suites):
* ``shared_app(env=None, app=None)`` -> the running ``LearnerApp`` for that env and app, started
  by the first test that asks and restarted if a test killed it;
* ``shared_learner(env=None)`` -> the ``LearnerLib`` for that env.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from .config import SandboxConfig
from .learner import LearnerApp, LearnerLib, LearnerProcess
from .processes import kill_strays


class _Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=_Stoppable)


@contextlib.contextmanager
def _stopped_at_the_end(make: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """A factory fixture's body: hand out ``make``, then stop everything it made."""
    made: list[S] = []

    def start(*args: Any, **kwargs: Any) -> S:
        made.append(make(*args, **kwargs))
        return made[-1]

    try:
        yield start
    finally:
        for thing in made:
            thing.stop()


def _running(app: LearnerApp) -> LearnerApp:
    from ..testing import running  # one-line failure when the app cannot start

    return running(app)


@pytest.fixture(scope="session")
def sandbox() -> SandboxConfig:
    return SandboxConfig.from_env().with_services()


@pytest.fixture(autouse=True)
def _no_strays(sandbox: SandboxConfig) -> Iterator[None]:
    """Whatever a test's learner code left running on its own is gone before the next test."""
    yield
    kill_strays(sandbox)


@pytest.fixture(scope="session")
def shared_app(sandbox: SandboxConfig) -> Iterator[Callable[..., LearnerApp]]:
    apps: dict[tuple[str | None, tuple[tuple[str, str], ...]], tuple[LearnerApp, threading.Lock]] = {}
    lock = threading.Lock()  # tests may start several shared apps at once, from threads

    def start(env: dict[str, str] | None = None, app: str | None = None) -> LearnerApp:
        key = (app, tuple(sorted((env or {}).items())))
        with lock:
            if key not in apps:
                apps[key] = (LearnerApp(sandbox, env=env, app=app), threading.Lock())
            learner_app, starting = apps[key]
        with starting:  # one start per app at a time; other apps start meanwhile
            return _running(learner_app)

    yield start
    for learner_app, _ in apps.values():
        learner_app.stop()


@pytest.fixture(scope="session")
def shared_learner(sandbox: SandboxConfig) -> Iterator[Callable[..., LearnerLib]]:
    libs: dict[tuple[tuple[str, str], ...], LearnerLib] = {}
    lock = threading.Lock()

    def start(env: dict[str, str] | None = None) -> LearnerLib:
        key = tuple(sorted((env or {}).items()))
        with lock:
            if key not in libs:
                libs[key] = LearnerLib(sandbox, env=env)
            return libs[key]

    yield start
    for lib in libs.values():
        lib.stop()


@pytest.fixture
def app(shared_app: Callable[..., LearnerApp]) -> LearnerApp:
    return shared_app()


@pytest.fixture(scope="session")
def learner(shared_learner: Callable[..., LearnerLib]) -> LearnerLib:
    return shared_learner()


def _service_url(sandbox: SandboxConfig, service: str, variable: str) -> str:
    if service in sandbox.unavailable:
        pytest.fail(f"needs Docker: {sandbox.unavailable[service]}", pytrace=False)
    if variable not in sandbox.service_env:
        raise RuntimeError(f"the lab's manifest does not list the service {service!r}")
    return sandbox.service_env[variable]


@pytest.fixture(scope="session")
def postgres_url(sandbox: SandboxConfig) -> str:
    return _service_url(sandbox, "postgres", "DATABASE_URL")


@pytest.fixture(scope="session")
def redis_url(sandbox: SandboxConfig) -> str:
    return _service_url(sandbox, "redis", "REDIS_URL")


@pytest.fixture
def start_app(sandbox: SandboxConfig) -> Iterator[Callable[..., LearnerApp]]:
    with _stopped_at_the_end(functools.partial(LearnerApp, sandbox)) as make:

        def start(env: dict[str, str] | None = None, app: str | None = None) -> LearnerApp:
            return _running(make(env=env, app=app))

        yield start


@pytest.fixture
def start_learner(sandbox: SandboxConfig) -> Iterator[Callable[..., LearnerLib]]:
    with _stopped_at_the_end(functools.partial(LearnerLib, sandbox)) as start:
        yield start  # start(env=None, timeout_s=None)


@pytest.fixture
def spawn_module(sandbox: SandboxConfig) -> Iterator[Callable[..., LearnerProcess]]:
    with _stopped_at_the_end(functools.partial(LearnerProcess, sandbox)) as spawn:
        yield spawn  # spawn("app.worker", "--flag", env=None)


@pytest.fixture
def new_database(request: pytest.FixtureRequest, sandbox: SandboxConfig) -> Iterator[Callable[[str], Any]]:
    from ..testing import Database

    dropped: list[tuple[str, str]] = []

    def make(kind: str) -> Database:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if kind == "sqlite":
            # The learner runs as another user with umask 077: a world-writable folder and file
            # (SQLite gives its journals the file's mode) keep it usable by both sides.
            folder = os.path.join(sandbox.scratch_dir, name)
            os.mkdir(folder)
            os.chmod(folder, 0o777)
            path = os.path.join(folder, "db.sqlite")
            sqlite3.connect(path).close()
            os.chmod(path, 0o666)
            return Database(kind="sqlite", url=f"sqlite:///{path}", path=path)
        if kind != "postgres":
            raise ValueError(f"new_database: kind is 'sqlite' or 'postgres', not {kind!r}")
        import psycopg

        server = request.getfixturevalue("postgres_url")
        admin = server.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        dropped.append((admin, name))
        return Database(kind="postgres", url=f"{server.rsplit('/', 1)[0]}/{name}")

    yield make
    if dropped:
        import psycopg

        for admin, name in dropped:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
