import socket
from urllib.parse import urlparse

import psycopg
import pytest

from grader.testing import as_reader


def test_postgres_answers(postgres_url):
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select 6 * 7").fetchone() == (42,)


def test_redis_answers(redis_url):
    url = urlparse(redis_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(64) == b"+PONG\r\n"


def test_learner_code_gets_the_urls(learner, postgres_url, redis_url):
    credentials = postgres_url.split("://", 1)[1].split("@", 1)[0]
    assert learner.call("probe:env", "DATABASE_URL") == postgres_url.replace(f"{credentials}@", "learner@")
    assert learner.call("probe:env", "REDIS_URL") == redis_url


def test_a_new_postgres_database_is_empty_and_its_own(new_database, postgres_url):
    one, two = new_database("postgres"), new_database("postgres")
    assert one.kind == "postgres" and one.url != two.url != postgres_url
    with psycopg.connect(one.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("CREATE TABLE ducks (name text)")
    with psycopg.connect(two.url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'ducks'").fetchone() == (0,)


def test_learner_code_logs_in_as_a_role_without_powers(learner, new_database):
    database = new_database("postgres")
    powers = learner.call("probe:postgres_powers", database.url)
    assert powers == {
        "user": "learner",
        "superuser": False,
        "creates_tables": True,
        "alter_system": False,
        "create_database": False,
        "create_role": False,
        "terminate_others": False,
        "superuser_without_password": False,
    }


def test_checks_read_learner_tables_as_a_read_only_role(new_database):
    database = new_database("postgres")
    with psycopg.connect(as_reader(database.url).replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("grader_reader",)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE theirs (n int)")
