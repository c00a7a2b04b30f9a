"""Stopping an interrupted batch: the gradings that run are stopped, whatever their backend."""

from __future__ import annotations

import concurrent.futures
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._results import BackendName

STOP_TIMEOUT_S = 60  # how long an interrupted batch waits for its running gradings to stop


def stop_running(futures: Iterable[concurrent.futures.Future[Any]], backend: str) -> None:
    """Stop the gradings that run, until their threads are done (or STOP_TIMEOUT_S passes).

    KeyboardInterrupt reaches only the main thread; the workers wait on their container (or
    local sandbox), so stop those: remove this process's containers, SIGTERM local supervisors
    (which kill their learner processes). Repeated, since a worker may be creating one just now.
    A second Ctrl-C does not cut this short.
    """
    deadline = time.monotonic() + STOP_TIMEOUT_S
    running = [f for f in futures if not f.done()]
    while True:
        try:
            if backend == BackendName.DOCKER:
                _remove_own_containers()
            elif backend == BackendName.LOCAL:
                _stop_local_supervisors()
            running = [f for f in running if not f.done()]
            if not running or time.monotonic() > deadline:
                break
            concurrent.futures.wait(running, timeout=0.5)
        except KeyboardInterrupt:
            continue
    if backend == BackendName.DOCKER:
        _remove_own_containers()


def _remove_own_containers() -> None:
    """Remove the grading containers this process created; a Docker hiccup waits for the next round."""
    import docker

    from .._backends.docker import docker_client, remove_leftovers

    client = docker_client(required=False)
    try:
        if client is not None:
            remove_leftovers(client, pid=os.getpid())
    except docker.errors.DockerException:
        pass


def _stop_local_supervisors() -> None:
    """SIGTERM the local backend's sandbox supervisors started by this process (Linux /proc)."""
    me = os.getpid()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != me:
                continue
            if b"grader._sandbox.supervise" in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGTERM)
        except (OSError, IndexError, ValueError):
            continue
