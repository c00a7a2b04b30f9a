from contextlib import ExitStack

from grader._sandbox import services
from grader._sandbox.ports import RANGE_ENV, free_port, group_ports


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
