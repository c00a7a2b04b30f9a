"""Loopback ports for the servers a grading run starts: the learner's app, PostgreSQL, Redis."""

from __future__ import annotations

import socket
import subprocess
import time
from typing import Literal

PortWait = Literal["open", "exited", "timeout"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout_s: float, process: subprocess.Popen | None = None) -> PortWait:
    """Wait until something accepts connections on 127.0.0.1:``port`` ("open"), ``process`` (the
    server) has exited ("exited"), or ``timeout_s`` has passed ("timeout")."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return "exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return "open"
        except OSError:
            time.sleep(0.05)
    return "timeout"
