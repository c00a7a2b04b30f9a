"""Talking to learner code: its web app, its functions, its programs (the trusted side of
``learner_shim``). Built on ``processes``."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from .config import SandboxConfig
from .processes import kill_all, log_tail, spawn, stop

class LearnerError(Exception):
    """The learner's code raised; ``type`` is the exception's class name, e.g. ``"ValueError"``."""

    def __init__(self, type: str, message: str, traceback: str = ""):
        super().__init__(f"your code raised {type}: {message}")
        self.type, self.message, self.traceback = type, message, traceback


class LearnerCrash(Exception):
    """The learner's process died, hung, or never started."""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def _death_reason(returncode: int) -> str:
    if returncode == -signal.SIGKILL:
        return "was killed (SIGKILL) - did it exceed the memory limit?"
    if returncode < 0:
        return f"was killed by signal {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LearnerApp:
    """The learner's web app under uvicorn, started on demand and restarted if it dies.

    A start that fails (import error, syntax error, an import that hangs) is not retried:
    later tests fail at once with the same message instead of waiting again.
    """

    def __init__(self, cfg: SandboxConfig, env: dict[str, str] | None = None, app: str | None = None):
        self.app = app or cfg.app
        if not self.app:
            raise RuntimeError("this lab's manifest names no [learner] app")
        self.cfg, self.env = cfg, env
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.url = ""
        self._startup_error: str | None = None
        self._client: httpx.Client | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure_running(self) -> LearnerApp:
        if self._startup_error:
            raise LearnerCrash(self._startup_error)
        if not self.alive:
            self.stop()
            self._start()
        return self

    def _start(self) -> None:
        port = _free_port()
        self.process, self.log_path = spawn(self.cfg, "http", "--app", self.app, "--port", str(port), env=self.env)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.cfg.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail(f"your app could not start: {_last_line(self.log_tail())}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self._fail(f"your app did not start within {self.cfg.startup_timeout_s:g} s (does importing it hang?)")

    def _fail(self, message: str):
        self._startup_error = message
        self.stop()
        raise LearnerCrash(message)

    @property
    def client(self) -> httpx.Client:
        """An HTTP client bound to the app; requests time out after ``request_timeout_s``."""
        if self._client is None or str(self._client.base_url).rstrip("/") != self.url:
            if self._client is not None:
                self._client.close()
            # A fresh connection per request: a server that dropped a kept-alive connection (as
            # uvicorn does after an unhandled error) must not fail the next, unrelated request.
            self._client = httpx.Client(base_url=self.url, timeout=self.cfg.request_timeout_s,
                                        limits=httpx.Limits(max_keepalive_connections=0))
        return self._client

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """Send a request; a timeout or a dead app becomes a one-line ``LearnerCrash``."""
        try:
            return self.client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            kill_all(self.cfg)  # whatever hangs in there must not slow the next test
            raise LearnerCrash(f"{method} {path} got no answer within {self.cfg.request_timeout_s:g} s") from None
        except httpx.TransportError as exc:
            try:  # a dying app may need a moment to finish dying (more on a loaded machine): then say why
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                raise LearnerCrash(f"{method} {path} failed: {exc}") from None
            raise LearnerCrash(f"{method} {path} failed: your app {_death_reason(self.process.returncode)}") from None

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def stop(self) -> None:
        stop(self.process)
        self.process = None


class LearnerLib:
    """Calls functions of the learner's modules in a child process, one JSON message each way."""

    def __init__(self, cfg: SandboxConfig, env: dict[str, str] | None = None, timeout_s: float | None = None):
        self.cfg, self.env = cfg, env
        self.timeout_s = timeout_s or cfg.request_timeout_s
        self.process: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self._requests = self._responses = None
        self._next_id = 0

    def _start(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.process, self.log_path = spawn(
                self.cfg, "calls", "--requests", str(to_child_r), "--responses", str(from_child_w),
                env=self.env, pass_fds=(to_child_r, from_child_w),
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._requests = os.fdopen(to_child_w, "w", encoding="utf-8")
        self._responses = os.fdopen(from_child_r, "rb", buffering=0)

    def call(self, target: str, *args, timeout_s: float | None = None, **kwargs):
        """``call("app.pricing:quote_total", 899, 15)`` -> the learner's return value (JSON data).

        Raises ``LearnerError`` if the learner's code raised, ``LearnerCrash`` if it hung or died.
        """
        module, _, function = target.partition(":")
        if self.process is None or self.process.poll() is not None:
            self.stop()
            self._start()
        self._next_id += 1
        request = {"id": self._next_id, "module": module, "function": function, "args": list(args), "kwargs": kwargs}
        try:
            self._requests.write(json.dumps(request) + "\n")
            self._requests.flush()
        except BrokenPipeError:
            self._crashed(target)
        line = self._read_line(timeout_s or self.timeout_s, target)
        try:
            answer = json.loads(line)
            if answer["id"] != self._next_id:
                raise ValueError("out of turn")
            if answer["ok"]:
                return answer["value"]
            error = answer["error"]
            raise LearnerError(str(error["type"]), str(error["message"]), str(error.get("traceback", "")))
        except (ValueError, KeyError, TypeError):
            self._crashed(target, "answered with something other than the shim's JSON")

    def _read_line(self, timeout_s: float, target: str) -> bytes:
        deadline = time.monotonic() + timeout_s
        buffer = b""
        while not buffer.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                kill_all(self.cfg)
                raise LearnerCrash(f"{target}(...) did not return within {timeout_s:g} s")
            ready, _, _ = select.select([self._responses], [], [], remaining)
            if ready:
                chunk = self._responses.read(65536)
                if not chunk:
                    self._crashed(target)
                buffer += chunk
        return buffer

    def _crashed(self, target: str, detail: str = ""):
        time.sleep(0.1)
        why = _death_reason(self.process.poll()) if self.process.poll() is not None else detail or "stopped answering"
        tail = _last_line(self.log_tail())
        self.stop()
        raise LearnerCrash(f"calling {target}(...): the learner process {why}; last output: {tail}")

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def stop(self) -> None:
        for stream in (self._requests, self._responses):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self._requests = self._responses = None
        stop(self.process)
        self.process = None


class LearnerProcess:
    """The learner's module run as a program (``python -m module args``), e.g. a worker.

    ``signal()`` it, ``wait()`` for it; its output is in ``log_tail()``.
    """

    def __init__(self, cfg: SandboxConfig, module: str, *args: str, env: dict[str, str] | None = None):
        self.process, self.log_path = spawn(cfg, "module", "--module", module, "--", *args, env=env)

    def signal(self, signum: int) -> None:
        try:
            self.process.send_signal(signum)
        except ProcessLookupError:
            pass

    def wait(self, timeout_s: float) -> int | None:
        """The exit status, or None if still running after ``timeout_s``."""
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self) -> str:
        return log_tail(self.log_path)

    def stop(self) -> None:
        stop(self.process)
