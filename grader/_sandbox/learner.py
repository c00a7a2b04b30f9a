"""Talking to learner code: its web app, its functions, its programs (the trusted side of
``learner_shim``). Built on ``processes``."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import time
from typing import BinaryIO, NoReturn, TextIO

import httpx

from .config import SandboxConfig
from .ports import free_port, wait_for_port
from .processes import Output, kill_all, killed_for, spawn, spawn_calls, stop
from .services import learner_view

ANSWER_LIMIT_BYTES = 16 * 1024 * 1024  # of one HTTP response body or one function's JSON answer


class _TooLarge(Exception):
    pass


class _BoundedBody(httpx.SyncByteStream):
    """A response body that stops at ``limit`` bytes: a test never reads more than that from
    learner code, so a huge answer cannot exhaust the test runner's memory."""

    def __init__(self, stream: httpx.SyncByteStream, limit: int):
        self._stream, self._limit = stream, limit

    def __iter__(self):
        seen = 0
        for chunk in self._stream:
            seen += len(chunk)
            if seen > self._limit:
                raise _TooLarge()
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _BoundedTransport(httpx.HTTPTransport):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.stream = _BoundedBody(response.stream, ANSWER_LIMIT_BYTES)  # type: ignore[arg-type]
        return response


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


_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>\S+))?')


def where_in_submission(traceback: str, submission_dir: str) -> tuple[str, str, str] | None:
    """The last place in a traceback that is in the learner's files: (relative path, line, function)."""
    root = submission_dir.rstrip("/") + "/"
    for match in reversed(list(_FRAME.finditer(traceback))):
        if match["path"].startswith(root):
            return match["path"][len(root) :], match["line"], match["function"] or ""
    return None


def _startup_failure(output: str, submission_dir: str) -> str:
    """Why an app could not start: the error's last line, and where in the learner's files it is."""
    where = where_in_submission(output, submission_dir)
    return _last_line(output) + (f" ({where[0]}, line {where[1]})" if where else "")


def _death_reason(returncode: int) -> str:
    if returncode == -signal.SIGKILL:
        return "was killed (SIGKILL) - did it exceed the memory limit?"
    if returncode < 0:
        return f"was killed by signal {signal.Signals(-returncode).name}"
    return f"exited with status {returncode}"


class LearnerApp:
    """The learner's web app under uvicorn, started on demand and restarted if it dies.

    A start that fails (import error, syntax error, an import that hangs) is not retried:
    later tests fail at once with the same message instead of waiting again.
    """

    def __init__(self, cfg: SandboxConfig, env: dict[str, str] | None = None, app: str | None = None):
        target = app or cfg.app
        if not target:
            raise RuntimeError("this lab's manifest names no [learner] app")
        self.app = target
        self.cfg, self.env = cfg, env
        self.process: subprocess.Popen | None = None
        self.output: Output | None = None
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
        port = free_port()
        started = time.monotonic()
        self.process, self.output = spawn(self.cfg, "http", "--app", self.app, "--port", str(port), env=self.env)
        self.url = f"http://127.0.0.1:{port}"
        waited = wait_for_port(port, timeout_s=self.cfg.startup_timeout_s, process=self.process)
        self.cfg.note_timing("learner-start", kind="app", seconds=round(time.monotonic() - started, 3))
        if waited == "exited":
            self._fail(f"your app could not start: {_startup_failure(self.log_tail(), self.cfg.submission_dir)}")
        if waited == "timeout":
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
            self._client = httpx.Client(
                base_url=self.url,
                timeout=self.cfg.request_timeout_s,
                transport=_BoundedTransport(limits=httpx.Limits(max_keepalive_connections=0)),
            )
        return self._client

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """Send a request (``kwargs`` as httpx's, e.g. ``timeout=`` seconds instead of the manifest's
        ``request_timeout_s``); a timeout or a dead app becomes a one-line ``LearnerCrash``."""
        try:
            return self.client.request(method, path, **kwargs)
        except _TooLarge:
            self._kill(f"it answered with more than {ANSWER_LIMIT_BYTES // 2**20} MB")
            raise LearnerCrash(
                f"{method} {path}: your app answered with more than {ANSWER_LIMIT_BYTES // 2**20} MB"
            ) from None
        except httpx.TimeoutException:
            waited_s = kwargs.get("timeout", self.cfg.request_timeout_s)  # a test may give a request longer
            waited_s = waited_s if isinstance(waited_s, (int, float)) else self.cfg.request_timeout_s
            # whatever hangs in there must not slow the next test
            self._kill(f"a request got no answer within {waited_s:g} s")
            raise LearnerCrash(f"{method} {path} got no answer within {waited_s:g} s") from None
        except httpx.TransportError as exc:
            try:  # a dying app may need a moment to finish dying (more on a loaded machine): then say why
                returncode = self.process.wait(timeout=2) if self.process else None
            except subprocess.TimeoutExpired:
                returncode = None
            if returncode is None:
                raise LearnerCrash(f"{method} {path} failed: {exc}") from None
            if reason := killed_for(self.process):  # beside whatever made the grader stop learner code
                raise LearnerCrash(f"{method} {path} failed: the grader stopped your app ({reason})") from None
            raise LearnerCrash(f"{method} {path} failed: your app {_death_reason(returncode)}") from None

    def _kill(self, reason: str) -> None:
        """Kill the learner's processes on purpose, remembering why for the requests that were beside."""
        kill_all(self.cfg, reason=reason)

    def log_tail(self) -> str:
        return self.output.tail() if self.output else ""

    def stop(self) -> None:
        stop(self.process)
        self.process = None


class LearnerLib:
    """Calls functions of the learner's modules in a child process, one JSON message each way."""

    def __init__(self, cfg: SandboxConfig, env: dict[str, str] | None = None, timeout_s: float | None = None):
        self.cfg, self.env = cfg, env
        self.timeout_s = timeout_s or cfg.request_timeout_s
        self.process: subprocess.Popen | None = None
        self.output: Output | None = None
        self._requests: TextIO | None = None
        self._responses: BinaryIO | None = None
        self._next_id = 0

    def _start(self) -> None:
        self.process, self.output, requests, responses = spawn_calls(self.cfg, env=self.env)
        self._requests = os.fdopen(requests, "w", encoding="utf-8")
        self._responses = os.fdopen(responses, "rb", buffering=0)

    def call(self, target: str, *args, timeout_s: float | None = None, **kwargs):
        """``call("app.pricing:quote_total", 899, 15)`` -> the learner's return value (JSON data).

        Raises ``LearnerError`` if the learner's code raised, ``LearnerCrash`` if it hung or died.
        """
        module, _, function = target.partition(":")
        started: float | None = None
        if self.process is None or self.process.poll() is not None:
            self.stop()
            started = time.monotonic()
            self._start()
        self._next_id += 1
        request = {"id": self._next_id, "module": module, "function": function, "args": list(args), "kwargs": kwargs}
        requests, _ = self._pipes()
        try:
            # A database URL among the arguments logs in as the learner role (``services.learner_view``).
            requests.write(learner_view(json.dumps(request), self.cfg.service_env) + "\n")
            requests.flush()
        except BrokenPipeError:
            self._crashed(target)
        line = self._read_line(timeout_s or self.timeout_s, target)
        if started is not None:  # the start-up: the learner's modules imported, and this first call
            self.cfg.note_timing("learner-start", kind="calls", seconds=round(time.monotonic() - started, 3))
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

    def _pipes(self) -> tuple[TextIO, BinaryIO]:
        if self._requests is None or self._responses is None:  # _start() opens both
            raise LearnerCrash("the learner process is not running")
        return self._requests, self._responses

    def _read_line(self, timeout_s: float, target: str) -> bytes:
        _, responses = self._pipes()
        deadline = time.monotonic() + timeout_s
        buffer = bytearray()
        while not buffer.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                kill_all(self.cfg, reason=f"{target}(...) did not return within {timeout_s:g} s")
                raise LearnerCrash(f"{target}(...) did not return within {timeout_s:g} s")
            ready, _, _ = select.select([responses], [], [], remaining)
            if ready:
                chunk = responses.read(65536)
                if not chunk:
                    self._crashed(target)
                buffer += chunk
                if len(buffer) > ANSWER_LIMIT_BYTES:
                    self.stop()
                    too_large = f"{target}(...) answered with more than {ANSWER_LIMIT_BYTES // 2**20} MB"
                    kill_all(self.cfg, reason=too_large)
                    raise LearnerCrash(too_large)
        return bytes(buffer)

    def _crashed(self, target: str, detail: str = "") -> NoReturn:
        time.sleep(0.1)
        returncode = self.process.poll() if self.process else None
        why = _death_reason(returncode) if returncode is not None else detail or "stopped answering"
        tail = _last_line(self.log_tail())
        self.stop()
        raise LearnerCrash(f"calling {target}(...): the learner process {why}; last output: {tail}")

    def log_tail(self) -> str:
        return self.output.tail() if self.output else ""

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
        self.process, self.output = spawn(cfg, "module", "--module", module, "--", *args, env=env)

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
        return self.output.tail() if self.output else ""

    def stop(self) -> None:
        stop(self.process)
