"""Throwaway PostgreSQL and Redis servers for one grading run: loopback only, data in /tmp."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager


class Unavailable(Exception):
    """The service cannot run here; the message says why, in one line."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _service_user(name: str) -> str | None:
    """Servers refuse to run as root: run them as their own system user when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise Unavailable(f"the '{name}' system user is missing") from None
    return name


def _wait_for_port(port: int, process: subprocess.Popen | None, what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise Unavailable(f"{what} exited at start (status {process.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise Unavailable(f"{what} did not start within {timeout_s:g} s")


def _pg_bin() -> str:
    candidates = [os.environ.get("PG_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for directory in candidates:
        if directory and os.path.exists(os.path.join(directory, "pg_ctl")):
            return directory
    raise Unavailable("PostgreSQL is not installed on this machine")


@contextmanager
def postgres():
    """Yield ``{"DATABASE_URL": ...}`` for a fresh PostgreSQL cluster; remove it afterwards."""
    pg_bin, user = _pg_bin(), _service_user("postgres")
    data = os.path.join(tempfile.gettempdir(), f"grader-pg-{os.urandom(6).hex()}")
    port = _free_port()

    def run(*command: str) -> None:
        result = subprocess.run(command, user=user, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise Unavailable(f"{os.path.basename(command[0])} failed: {(result.stderr or result.stdout).strip()[-200:]}")

    run(f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
    try:
        run(f"{pg_bin}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-o", options, "-w", "-t", "30", "start")
        yield {"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"}
    finally:
        subprocess.run([f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "stop"], user=user, capture_output=True)
        subprocess.run(["rm", "-rf", data], user=user, capture_output=True)


@contextmanager
def redis():
    """Yield ``{"REDIS_URL": ...}`` for a fresh, non-persistent Redis server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise Unavailable("Redis is not installed on this machine")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tempfile.gettempdir()],
        user=_service_user("redis"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, "redis-server")
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
