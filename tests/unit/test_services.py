from contextlib import ExitStack

from grader._sandbox import services


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
