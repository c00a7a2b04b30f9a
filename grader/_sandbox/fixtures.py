"""Fixtures the hidden suites use. They are the only way a test reaches learner code.

* ``app``: the learner's web app, running (restarted if a previous test killed it);
  ``app.request(method, path, ...)`` returns an ``httpx.Response``.
* ``learner``: ``learner.call("package.module:function", *args, **kwargs)``.
* ``postgres_url`` / ``redis_url``: the throwaway servers the manifest asked for.
* ``sandbox``: the ``SandboxConfig``.

Factories, for tests that need their own (stopped at the end of the test):
* ``start_app(env=None, app=None)`` -> a running ``LearnerApp`` (e.g. with its own DATABASE_URL);
* ``start_learner(env=None)`` -> a ``LearnerLib`` whose calls run in a fresh process;
* ``spawn_module("app.worker", "--flag", env=None)`` -> a ``LearnerProcess`` (a worker, a CLI).
"""

from __future__ import annotations

import pytest

from .config import SandboxConfig
from .learner import LearnerApp, LearnerCrash, LearnerLib, LearnerProcess
from .processes import kill_strays


@pytest.fixture(scope="session")
def sandbox() -> SandboxConfig:
    return SandboxConfig.from_env()


@pytest.fixture(autouse=True)
def _no_strays(sandbox):
    """Whatever a test's learner code left running on its own is gone before the next test."""
    yield
    kill_strays(sandbox)


@pytest.fixture(scope="session")
def _learner_app(sandbox):
    learner_app = LearnerApp(sandbox)
    yield learner_app
    learner_app.stop()


@pytest.fixture
def app(_learner_app) -> LearnerApp:
    try:
        return _learner_app.ensure_running()
    except LearnerCrash as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def learner(sandbox):
    lib = LearnerLib(sandbox)
    yield lib
    lib.stop()


def _service_url(sandbox: SandboxConfig, service: str, variable: str) -> str:
    if service in sandbox.unavailable:
        pytest.fail(f"needs Docker: {sandbox.unavailable[service]}", pytrace=False)
    if variable not in sandbox.service_env:
        raise RuntimeError(f"the lab's manifest does not list the service {service!r}")
    return sandbox.service_env[variable]


@pytest.fixture(scope="session")
def postgres_url(sandbox) -> str:
    return _service_url(sandbox, "postgres", "DATABASE_URL")


@pytest.fixture(scope="session")
def redis_url(sandbox) -> str:
    return _service_url(sandbox, "redis", "REDIS_URL")


@pytest.fixture
def start_app(sandbox):
    apps = []

    def start(env: dict[str, str] | None = None, app: str | None = None) -> LearnerApp:
        learner_app = LearnerApp(sandbox, env=env, app=app)
        apps.append(learner_app)
        try:
            return learner_app.ensure_running()
        except LearnerCrash as exc:
            pytest.fail(str(exc), pytrace=False)

    yield start
    for learner_app in apps:
        learner_app.stop()


@pytest.fixture
def start_learner(sandbox):
    libs = []

    def start(env: dict[str, str] | None = None, timeout_s: float | None = None) -> LearnerLib:
        lib = LearnerLib(sandbox, env=env, timeout_s=timeout_s)
        libs.append(lib)
        return lib

    yield start
    for lib in libs:
        lib.stop()


@pytest.fixture
def spawn_module(sandbox):
    processes = []

    def spawn(module: str, *args: str, env: dict[str, str] | None = None) -> LearnerProcess:
        process = LearnerProcess(sandbox, module, *args, env=env)
        processes.append(process)
        return process

    yield spawn
    for process in processes:
        process.stop()
