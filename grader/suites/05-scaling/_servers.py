"""Servers the suite runs itself, as trusted processes: Redis (stoppable, restartable on the same
port, optionally with a password learner code can't read) and the reference app (a copy of the
model answer, for measurements in the same run)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.testing import free_port, wait_for_port

REFERENCE = Path(__file__).with_name("_reference")


def expect_started(port: int, process: subprocess.Popen, what: str, timeout_s: float = 20) -> None:
    """Return once ``process`` accepts connections on ``port``; raise if it exits or takes too long."""
    state = wait_for_port(port, timeout_s=timeout_s, process=process)
    if state == "exited":
        raise RuntimeError(f"{what} exited at start (status {process.returncode})")
    if state == "timeout":
        raise RuntimeError(f"{what} did not start within {timeout_s:g} s")


class RedisServer:
    """A Redis server on a fixed loopback port: ``stop()`` it and ``start()`` it again (empty)."""

    def __init__(self, password: str | None = None):
        self.port, self.password = free_port(), password
        self.process: subprocess.Popen | None = None
        self.dir = tempfile.mkdtemp(prefix="lab05-redis-")
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if self.process is not None and self.process.poll() is None:
            return self
        config = f'port {self.port}\nbind 127.0.0.1\nsave ""\nappendonly no\ndir {self.dir}\n'
        if self.password:
            config += f"requirepass {self.password}\n"  # on stdin: never on a command line others can read
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.process.stdin.write(config)
        self.process.stdin.close()
        expect_started(self.port, self.process, "redis-server")
        return self

    def pause(self) -> None:
        """Hang it (SIGSTOP): connections are still accepted, and nothing is answered."""
        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class ServedApp:
    """An app package under uvicorn as a trusted process, niced like learner apps: by default the
    model answer's copy (the reference)."""

    def __init__(self, env: dict[str, str], app_dir: Path = REFERENCE):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = ["nice", "-n", "10", sys.executable, "-I", "-m", "uvicorn", "--app-dir", str(app_dir)]
        command += ["app.main:app", "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--log-level", "warning", "--no-access-log"]
        full_env = {"PATH": os.environ.get("PATH", ""), "HOME": tempfile.gettempdir(), **env}
        full_env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.process = subprocess.Popen(
            command, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )

    def wait_started(self, timeout_s: float = 60) -> ServedApp:
        expect_started(self.port, self.process, "the app", timeout_s)
        return self

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()
