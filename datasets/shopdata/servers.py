"""Throwaway PostgreSQL and Redis servers for lessons: loopback only, data in a temp dir, gone
afterwards. They need the servers' programs installed (Debian: ``postgresql``, ``redis-server``)::

    from shopdata.servers import postgres, redis, ServerUnavailable

    with postgres() as url:      # "postgresql+psycopg://postgres@127.0.0.1:PORT/postgres"
        ...
    with redis() as url:         # "redis://127.0.0.1:PORT/0"
        ...

Both raise ``ServerUnavailable`` with a one-line reason (and how to install) when they cannot run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

__all__ = ["ServerUnavailable", "postgres", "redis"]


class ServerUnavailable(RuntimeError):
    """The server cannot run on this machine; the message says why and what to install."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as(name: str) -> str | None:
    """Servers refuse to run as root: as root, run them as their own system user."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise ServerUnavailable(f"the '{name}' system user is missing (install the Debian package)") from None
    return name


def _pg_bin() -> str:
    for directory in [os.environ.get("PG_BIN", ""), *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]:
        if directory and os.path.exists(os.path.join(directory, "pg_ctl")):
            return directory
    on_path = shutil.which("pg_ctl")
    if on_path:
        return os.path.dirname(on_path)
    raise ServerUnavailable("PostgreSQL is not installed (Debian/Ubuntu: apt install postgresql)")


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL cluster on a free loopback port; yields its SQLAlchemy URL."""
    pg_bin, user = _pg_bin(), _run_as("postgres")
    data = tempfile.mkdtemp(prefix="shopdata-pg-")
    if user:
        shutil.chown(data, user=user)
    port = _free_port()

    def run(*command: str) -> None:
        result = subprocess.run(command, user=user, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            why = (result.stderr or result.stdout).strip()[-200:]
            raise ServerUnavailable(f"{os.path.basename(command[0])} failed: {why}")

    try:
        run(f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {data} -c fsync=off -c synchronous_commit=off"
        run(f"{pg_bin}/pg_ctl", "-D", data, "-l", f"{data}/server.log", "-o", options, "-w", "-t", "30", "start")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([f"{pg_bin}/pg_ctl", "-D", data, "-m", "immediate", "stop"], user=user, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@contextlib.contextmanager
def redis() -> Iterator[str]:
    """A fresh Redis server (nothing saved to disk) on a free loopback port; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("Redis is not installed (Debian/Ubuntu: apt install redis-server)")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="shopdata-redis-")
    user = _run_as("redis")
    if user:
        shutil.chown(workdir, user=user)
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        [*command, "--dir", workdir], user=user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise ServerUnavailable(f"redis-server exited at start (status {process.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise ServerUnavailable("redis-server did not start within 20 s") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(workdir, ignore_errors=True)
