import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.testing import TimeBudget, call, timed


def test_two_apps_with_their_own_env(start_app):
    one, two = start_app(env={"NAME": "one"}), start_app(env={"NAME": "two"})
    assert one.request("GET", "/name").json() == "one"
    assert two.request("GET", "/name").json() == "two"


def test_a_module_runs_and_takes_signals(spawn_module):
    worker = spawn_module("app.worker", "--greeting", "quack")
    assert worker.wait(1) is None, "the worker should still be running"
    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert "quack" in worker.log_tail() and "stopping" in worker.log_tail()


def test_an_app_starts_from_a_spare_with_only_its_own_env(start_app, start_learner):
    apps = [start_app(env={"NAME": f"app{i}"}) for i in range(3)]  # one after another: each takes the spare
    for i, app in enumerate(apps):
        started = app.request("GET", "/started").json()
        assert started["preloaded"], "the app should start in a spare process that imported the preload"
        assert started["stdin"] == "/dev/null", "the orders' pipe is closed before learner code runs"
        assert started["env"] == sorted(["HOME", "LANG", "NAME", "PATH", "TMPDIR"]), started["env"]
        assert app.request("GET", "/name").json() == f"app{i}"
    lib = start_learner(env={"NAME": "calls"})
    started = call(lib, "app.ids:started")
    assert started["preloaded"] and started["env"] == sorted(["HOME", "LANG", "NAME", "PATH", "TMPDIR"]), started
    assert started["fds"] == 5, "a call process has stdin, stdout, stderr and its two pipes open, nothing else"


def test_calls_in_several_processes_at_once(start_learner):
    libs = [start_learner() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        pids = list(pool.map(lambda lib: lib.call("app.ids:pid"), libs))
    assert len(set(pids)) == 4


def test_a_shared_app_starts_once_per_env_and_again_after_a_crash(shared_app):
    first = shared_app(env={"NAME": "shared"})
    pid = first.request("GET", "/pid").json()
    assert shared_app(env={"NAME": "shared"}) is first and first.request("GET", "/pid").json() == pid
    assert shared_app(env={"NAME": "other"}).request("GET", "/name").json() == "other"
    first.stop()  # as a test that kills the app would
    assert shared_app(env={"NAME": "shared"}).request("GET", "/pid").json() != pid


def test_a_new_sqlite_database_is_usable_by_both_sides(new_database, shared_learner):
    database = new_database("sqlite")
    assert database.url == f"sqlite:///{database.path}"
    assert call(shared_learner(), "app.ids:insert", database.path, "quack") == 1
    with sqlite3.connect(database.path) as conn:
        assert conn.execute("SELECT value FROM notes").fetchall() == [("quack",)]


def test_a_time_budget_is_a_ratio_of_the_reference_measured_now():
    _, reference_s = timed(time.sleep, 0.01)
    budget = TimeBudget(reference_s, factor=3, slack_s=0.5)
    budget.check(reference_s * 2, what="the learner's code")
    with pytest.raises(pytest.fail.Exception, match=r"took 9\.00 s; the reference took .* - batch it"):
        budget.check(9.0, what="the learner's code", hint="batch it")
