import signal
from concurrent.futures import ThreadPoolExecutor


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


def test_calls_in_several_processes_at_once(start_learner):
    libs = [start_learner() for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        pids = list(pool.map(lambda lib: lib.call("app.ids:pid"), libs))
    assert len(set(pids)) == 4
