"""Grading workers for the tests of ``grader batch --broker``: a throwaway Redis and
``grader worker`` processes beside it, each stopped (and checked gone) afterwards."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from grader._distributed.broker import make_app


@contextlib.contextmanager
def workers(url: str, names: list[str], tmp: Path, *args: str) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """``grader worker`` processes named ``names`` on broker ``url``, answering pings when this
    yields; stopped with SIGTERM (Celery's warm shutdown) afterwards, killed if they linger."""
    started: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in names:
            command = [sys.executable, "-m", "grader", "worker", "--broker", url, "--name", name, *args]
            command += ["--blob-cache", str(tmp / f"blobs-{name}")]
            with (tmp / f"{name}.log").open("wb") as log:
                started[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_for(url, names, started, tmp)
        yield started
    finally:
        for process in started.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in started.values():
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def full_name(name: str) -> str:
    import socket

    return f"{name}@{socket.gethostname()}"


def wait_for(url: str, names: list[str], started: dict[str, subprocess.Popen[bytes]], tmp: Path) -> None:
    app = make_app(url)
    deadline = time.monotonic() + 180  # a worker may build the grading image first
    want = {full_name(n) for n in names}
    while True:
        for name, process in started.items():
            if process.poll() is not None:
                raise AssertionError(f"worker {name} exited: {(tmp / f'{name}.log').read_text()[-2000:]}")
        answered = {k for reply in app.control.ping(timeout=1.0) for k in reply}
        if want <= answered:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"workers {sorted(want - answered)} never answered a ping")


def pool_processes(worker: subprocess.Popen[bytes]) -> list[int]:
    """The pool processes (children) of a worker's main process."""
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc), children before their own children."""
    found: list[int] = []
    try:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return found
    for child in children:
        found += [child, *descendants(child)]
    return found
