import json
from contextlib import ExitStack

from grader._sandbox import services
from grader._sandbox.config import SandboxConfig
from grader._sandbox.ports import RANGE_ENV, free_port, group_ports
from grader._sandbox.supervise import _start_services


def test_missing_servers_are_reported_not_raised(monkeypatch):
    def no_postgres():
        raise services.Unavailable("PostgreSQL is not installed on this machine")

    monkeypatch.setattr(services, "_pg_bin", no_postgres)
    monkeypatch.setattr(services.shutil, "which", lambda name: None)
    with ExitStack() as stack:
        env, unavailable = services.start_all(["postgres", "redis"], stack)
    assert env == {}
    assert unavailable == {
        "postgres": "PostgreSQL is not installed on this machine; grade in the container (make grade) to run these tests",
        "redis": "Redis is not installed on this machine; grade in the container (make grade) to run these tests",
    }


def test_each_test_group_picks_its_ports_from_its_own_range(monkeypatch):
    assert [group_ports(g) for g in range(2)] == ["20000-21999", "22000-23999"]
    monkeypatch.setenv(RANGE_ENV, group_ports(1))
    assert all(22000 <= free_port() <= 23999 for _ in range(20))


def test_each_pytest_process_gets_its_own_set_and_every_file_is_written(monkeypatch, tmp_path):
    """One set of services per pytest process (test groups), every file written once all are up
    - also the file of a set that failed, so that no test waits for it."""
    started = iter(range(3))
    paths = [tmp_path / f"services-{n}.json" for n in range(3)]

    def start_all(names, stack):
        assert not any(path.exists() for path in paths), "a file written while services still start"
        n = next(started)
        if n == 1:
            raise OSError("no space left")
        return {"REDIS_URL": f"redis://127.0.0.1:{6000 + n}/0"}, {}

    monkeypatch.setattr(services, "start_all", start_all)
    cfg = SandboxConfig(
        suite_dir="s", submission_dir="u", private_dir=str(tmp_path), scratch_dir="t", services=("redis",)
    )
    with ExitStack() as stack:
        _start_services(cfg, stack, paths)
    sets = [json.loads(path.read_text()) for path in paths]
    assert [s["env"] for s in sets] == [
        {"REDIS_URL": "redis://127.0.0.1:6000/0"},
        {},
        {"REDIS_URL": "redis://127.0.0.1:6002/0"},
    ]
    assert sets[1]["unavailable"] == {"redis": "could not start (OSError: no space left)"}
