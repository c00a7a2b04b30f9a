import socket
from urllib.parse import urlparse

import psycopg


def test_postgres_answers(postgres_url):
    with psycopg.connect(postgres_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select 6 * 7").fetchone() == (42,)


def test_redis_answers(redis_url):
    url = urlparse(redis_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(64) == b"+PONG\r\n"


def test_learner_code_gets_the_urls(learner, postgres_url, redis_url):
    assert learner.call("probe:env", "DATABASE_URL") == postgres_url
    assert learner.call("probe:env", "REDIS_URL") == redis_url
