"""Throwaway PostgreSQL and Redis servers for one grading run: loopback only, data in /tmp."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from .ports import free_port, wait_for_port

START_TIMEOUT_S = 20


class Unavailable(Exception):
    """The service cannot run here; the message says why, in one line."""


def _service_user(name: str) -> str | None:
    """Servers refuse to run as root: run them as their own system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise Unavailable(f"the '{name}' system user is missing") from None
    return name


def _pg_bin() -> str:
    candidates = [os.environ.get("PG_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if directory and os.path.exists(os.path.join(directory, "pg_ctl")):
            return directory
    raise Unavailable("PostgreSQL is not installed on this machine")


LEARNER_ROLE = "learner"  # what learner code connects as: no superuser, owns only what it creates
READER_ROLE = "grader_reader"  # what checks read learner tables as: pg_read_all_data, nothing more


@contextmanager
def postgres() -> Iterator[dict[str, str]]:
    """Yield ``{"DATABASE_URL": ...}`` for a fresh PostgreSQL cluster; remove it afterwards.

    The URL is the superuser's, with a password made for this run: for trusted code only. Learner
    processes never see it (``processes.spawn`` hands them the same URL as the ``learner`` role,
    which needs no password, owns only what it creates, and may create tables in ``public`` of
    every database). ``READER_URL_VARIABLE`` is a read-only role for checks: a function a
    learner's view calls then runs without any power to change what the checks see.
    """
    pg_bin, user = _pg_bin(), _service_user("postgres")
    data = os.path.join(tempfile.gettempdir(), f"grader-pg-{os.urandom(6).hex()}")
    port = free_port()
    admin_password, reader_password = secrets.token_hex(16), secrets.token_hex(16)

    def run(*command: str) -> None:
        result = subprocess.run(command, user=user, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise Unavailable(
                f"{os.path.basename(command[0])} failed: {(result.stderr or result.stdout).strip()[-200:]}"
            )

    # Readable by the postgres user (root here cannot chown), and gone before any learner code
    # starts: the suite's fixtures wait for the services (``SandboxConfig.with_services``).
    fd, password_file = tempfile.mkstemp(prefix="grader-pg-pw-")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(admin_password + "\n")
        os.chmod(password_file, 0o644)
        run(
            f"{pg_bin}/initdb", "-D", data, "-U", "postgres", f"--pwfile={password_file}",
            "--auth=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
    finally:
        os.unlink(password_file)
    # Only the learner role gets in without a password (written as the server's user: root here
    # has no right to write in its data folder).
    hba = f"host all {LEARNER_ROLE} 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
    subprocess.run(
        ["/bin/sh", "-c", 'cat > "$0"', os.path.join(data, "pg_hba.conf")], input=hba, text=True, user=user, check=True
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {data} "
        "-c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    )
    admin = f"postgresql+psycopg://postgres:{admin_password}@127.0.0.1:{port}/postgres"
    try:
        run(f"{pg_bin}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-o", options, "-w", "-t", "30", "start")
        _create_roles(admin, reader_password)
        yield {
            "DATABASE_URL": admin,
            READER_URL_VARIABLE: f"postgresql+psycopg://{READER_ROLE}:{reader_password}@127.0.0.1:{port}/postgres",
        }
    finally:
        subprocess.run([f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "stop"], user=user, capture_output=True)
        subprocess.run(["rm", "-rf", data], user=user, capture_output=True)


READER_URL_VARIABLE = "GRADER_READER_DATABASE_URL"


def _create_roles(admin_url: str, reader_password: str) -> None:
    import psycopg

    plain = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {LEARNER_ROLE} LOGIN")
        conn.execute(f"CREATE ROLE {READER_ROLE} LOGIN PASSWORD '{reader_password}' IN ROLE pg_read_all_data")
        # Every database made later is a copy of a template: the learner may create its tables in
        # each one's public schema (suites copy template0 too, so it is opened for this one change).
        conn.execute("ALTER DATABASE template0 ALLOW_CONNECTIONS true")
    for database in ("template0", "template1", "postgres"):
        with psycopg.connect(plain.rsplit("/", 1)[0] + f"/{database}", autocommit=True) as conn:
            conn.execute(f"GRANT CREATE, USAGE ON SCHEMA public TO {LEARNER_ROLE}")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("ALTER DATABASE template0 ALLOW_CONNECTIONS false")


def learner_view(value: str, service_env: dict[str, str]) -> str:
    """``value`` with every trusted PostgreSQL login in it replaced by the learner role's."""
    for variable in ("DATABASE_URL", READER_URL_VARIABLE):
        url = service_env.get(variable, "")
        if "://" in url and "@" in url:
            credentials = url.split("://", 1)[1].split("@", 1)[0]
            value = value.replace(f"{credentials}@", f"{LEARNER_ROLE}@")
    return value


@contextmanager
def redis():
    """Yield ``{"REDIS_URL": ...}`` for a fresh, non-persistent Redis server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("Redis is not installed on this machine")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            tempfile.gettempdir(),
        ],
        user=_service_user("redis"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        waited = wait_for_port(port, timeout_s=START_TIMEOUT_S, process=process)
        if waited == "exited":
            raise Unavailable(f"redis-server exited at start (status {process.returncode})")
        if waited == "timeout":
            raise Unavailable(f"redis-server did not start within {START_TIMEOUT_S:g} s")
        yield {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    finally:
        process.kill()
        process.wait()


STARTERS = {"postgres": postgres, "redis": redis}


def start_all(names, stack: ExitStack) -> tuple[dict[str, str], dict[str, str]]:
    """Start the named services on ``stack``; return (env for learner code, {service: why unavailable})."""
    env: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    for name in names:
        try:
            env.update(stack.enter_context(STARTERS[name]()))
        except Unavailable as exc:
            unavailable[name] = f"{exc}; grade in the container (make grade) to run these tests"
    return env, unavailable
