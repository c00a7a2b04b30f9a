"""Loopback ports for the servers a grading run starts: the learner's app, PostgreSQL, Redis."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from typing import Literal

PortWait = Literal["open", "exited", "timeout"]
RANGE_ENV = "GRADER_PORTS"  # "first-last": where this process picks ports (test groups run side by side)
GROUP_PORTS = 2000  # ports per group, from GROUP_PORTS_FROM up: below the kernel's ephemeral range
GROUP_PORTS_FROM = 20000


def group_ports(group: int) -> str:
    """The ports of a test group (``RANGE_ENV``): no two groups' servers can pick the same one."""
    first = GROUP_PORTS_FROM + group * GROUP_PORTS
    return f"{first}-{first + GROUP_PORTS - 1}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (in this process's range, if set)."""
    first, _, last = os.environ.get(RANGE_ENV, "").partition("-")
    candidates = random.sample(range(int(first), int(last) + 1), 200) if last else [0]
    for candidate in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = s.getsockname()[1]
            return port
    raise OSError(f"no free port in {os.environ[RANGE_ENV]}")


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
            time.sleep(0.01)  # a warm start takes under 0.1 s: poll finely
    return "timeout"
