"""Learner processes at the lowest level: start them as the learner, stop them, reset them all."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

from .._files import write_atomically
from .config import SandboxConfig
from .services import learner_view

LOG_TAIL_BYTES = 4000  # of learner output, shown beside a failure
OUTPUT_KEEP_BYTES = 64 * 1024  # of learner output kept in memory per process

_started: list[subprocess.Popen] = []  # by this process, for kill_all outside the container
# Why the grader killed a process on purpose, for the requests that were beside it (any app's).
_killed_for: weakref.WeakKeyDictionary[subprocess.Popen, str] = weakref.WeakKeyDictionary()


def _shim_path(cfg: SandboxConfig) -> str:
    """Copy the shim where the learner's user can read (but not change) it."""
    shim_dir = Path(cfg.scratch_dir) / ".grader-shim"
    target = shim_dir / "learner_shim.py"
    if not target.exists():  # atomically: tests may start learner processes from several threads
        shim_dir.mkdir(mode=0o755, exist_ok=True)
        write_atomically(target, Path(__file__).with_name("learner_shim.py").read_bytes(), mode=0o644)
    return str(target)


def _learner_env(cfg: SandboxConfig, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": cfg.scratch_dir,
        "TMPDIR": cfg.scratch_dir,
        "LANG": "C.UTF-8",
    }
    env.update({name: value for name, value in cfg.service_env.items() if not name.startswith("GRADER_")})
    env.update(extra)
    # Whatever database URL a suite hands learner code, it logs in as the learner role: the
    # superuser's and the checks' passwords never reach a learner process (``services.postgres``).
    return {name: learner_view(value, cfg.service_env) for name, value in env.items()}


class Output:
    """What a learner process writes to stdout and stderr, read from a pipe by a trusted thread.

    Only the last ``keep`` bytes are kept, in memory: nothing a learner prints reaches a disk,
    let alone a host path, however much it prints."""

    def __init__(self, pipe: int, keep: int = OUTPUT_KEEP_BYTES):
        self._keep = keep
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self._reader.start()

    def _drain(self, pipe: int) -> None:
        with open(pipe, "rb", buffering=0) as stream:
            while chunk := stream.read(65536):
                with self._lock:
                    self._buffer += chunk
                    if len(self._buffer) > 2 * self._keep:
                        del self._buffer[: -self._keep]

    def wait(self, timeout_s: float) -> None:
        """Until every writer has closed the pipe (or ``timeout_s``), so that ``tail`` is complete."""
        self._reader.join(timeout_s)

    def tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        with self._lock:
            return bytes(self._buffer[-limit:]).decode("utf-8", "replace")


def spawn(
    cfg: SandboxConfig, mode: str, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, Output]:
    """Start the shim as the learner (``http`` or ``module``); its output is drained into a
    bounded buffer (``Output``)."""
    process, output, _ = _spawn(cfg, mode, args, env, calls=False)
    return process, output


def spawn_calls(cfg: SandboxConfig, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Output, int, int]:
    """Start the shim in ``calls`` mode: the process, its output, and the grader's ends of its two
    pipes (the requests' to write, the responses' to read)."""
    process, output, channel = _spawn(cfg, "calls", (), env, calls=True)
    assert channel is not None
    return process, output, *channel


Channel = tuple[int, int]  # (requests, responses): the grader's ends, or the learner's


def _spawn(
    cfg: SandboxConfig, mode: str, args: tuple[str, ...], env: dict[str, str] | None, *, calls: bool
) -> tuple[subprocess.Popen, Output, Channel | None]:
    """With a ``preload`` in the lab's manifest, the start is handed to the spare process started
    for it ahead of need, and a new spare is started for the next one (``start_spare``)."""
    _ensure_reaper(cfg)
    # No bytecode is written (-B); the staged submission holds none, so only its sources run.
    argv = [
        mode,
        "--submission",
        cfg.submission_dir,
        "--memory-mb",
        str(cfg.learner_memory_mb),
        *(learner_view(arg, cfg.service_env) for arg in args),
    ]
    learner_env = _learner_env(cfg, env or {})
    if cfg.preload:
        handed = _hand_to_spare(argv, learner_env, calls=calls)
        with contextlib.suppress(OSError):  # the next start's spare; without one it starts as usual
            start_spare(cfg)
        if handed is not None:
            return handed
    if not calls:
        return (*_popen(cfg, argv, learner_env), None)
    ours, theirs = _channel()
    try:
        argv += ["--requests", str(theirs[0]), "--responses", str(theirs[1])]
        return (*_popen(cfg, argv, learner_env, pass_fds=theirs), ours)
    except BaseException:
        _close(*ours)
        raise
    finally:
        _close(*theirs)


def _channel() -> tuple[Channel, Channel]:
    """Two pipes for ``calls``: (the grader's ends, the learner's ends). pass_fds keeps the
    learner's at the same numbers in the child, so its argv can name them."""
    requests_read, requests_write = os.pipe()
    responses_read, responses_write = os.pipe()
    return (requests_write, responses_read), (requests_read, responses_write)


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


@dataclasses.dataclass(frozen=True)
class _Spare:
    process: subprocess.Popen
    output: Output
    orders: int  # the pipe its orders go down (its stdin)
    channel: Channel  # the grader's ends of its calls pipes, for a start in ``calls`` mode
    learner_channel: Channel  # the same pipes' numbers in the spare


_spare: _Spare | None = None
_spare_lock = threading.Lock()  # tests start learner processes from several threads


def start_spare(cfg: SandboxConfig) -> None:
    """Start a learner process that imports the lab's ``preload`` and waits for what to run
    (``spawn``), unless one is waiting already. Called first thing in the pytest process
    (``pytest_main``), so that the first start is warm too, and after each start from a spare."""
    global _spare
    if not cfg.preload:
        return
    _ensure_reaper(cfg)
    with _spare_lock:
        if _spare is not None and _spare.process.poll() is None:
            return
        orders_read, orders_write = os.pipe()
        ours, theirs = _channel()
        try:
            argv = ["spare", str(theirs[0]), str(theirs[1]), *cfg.preload]
            process, output = _popen(cfg, argv, _learner_env(cfg, {}), pass_fds=theirs, stdin=orders_read)
        except BaseException:
            _close(orders_write, *ours)
            raise
        finally:
            _close(orders_read, *theirs)
        _spare = _Spare(process, output, orders_write, ours, theirs)


def _hand_to_spare(
    argv: list[str], env: dict[str, str], *, calls: bool
) -> tuple[subprocess.Popen, Output, Channel | None] | None:
    """The waiting spare, told to run ``argv`` with ``env``; None if there is none (or it died)."""
    global _spare
    with _spare_lock:
        spare, _spare = _spare, None
    if spare is None:
        return None
    if calls:
        requests, responses = spare.learner_channel
        argv = [*argv, "--requests", str(requests), "--responses", str(responses)]
    else:  # not needed: the spare closes its ends too
        _close(*spare.channel)
    try:
        if spare.process.poll() is None:
            os.write(spare.orders, (json.dumps({"argv": argv, "env": env}) + "\n").encode())
            return spare.process, spare.output, spare.channel if calls else None
    except OSError:  # killed meanwhile (a test's kill_all)
        stop(spare.process)
    finally:
        os.close(spare.orders)
    if calls:
        _close(*spare.channel)
    return None


def _popen(
    cfg: SandboxConfig,
    argv: list[str],
    env: dict[str, str],
    *,
    pass_fds: Channel | tuple[()] = (),
    stdin: int | None = None,
) -> tuple[subprocess.Popen, Output]:
    # At a lower priority than the grader: a runaway submission cannot starve the tests or the reaper.
    command = ["nice", "-n", "10", sys.executable, "-I", "-u", "-B", _shim_path(cfg), *argv]
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            command,
            cwd=cfg.scratch_dir,
            env=env,
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            stdout=write_end,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            start_new_session=True,
            user=cfg.learner_uid,
            group=cfg.learner_gid,
            extra_groups=[] if cfg.learner_uid is not None else None,
            umask=0o077,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    _started.append(process)
    with open(cfg.pids_path, "a") as pids:
        pids.write(f"{process.pid}\n")
    return process, Output(read_end)


class _Reaper:
    """A process of the learner's user, started before any learner code, whose only job is
    ``kill(-1, SIGKILL)`` on request: the kernel then signals every process of that user at
    once, even a fork bomb that has taken every free process slot (so nothing new could be
    started to stop it)."""

    SOURCE = "import os, sys\nfor _ in sys.stdin:\n    os.kill(-1, 9)\n    print('done', flush=True)\n"
    ANSWER_S = 5.0  # the longest a kill request may wait for its answer

    def __init__(self, cfg: SandboxConfig):
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", self.SOURCE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            user=cfg.learner_uid,
            group=cfg.learner_gid,
            extra_groups=[],
            cwd="/",
            env={},
        )

    def kill_everything(self) -> bool:
        stdin, stdout = self.process.stdin, self.process.stdout
        if self.process.poll() is not None or stdin is None or stdout is None:
            return False
        try:
            stdin.write("kill\n")
            stdin.flush()
            ready, _, _ = select.select([stdout], [], [], self.ANSWER_S)
            if ready and stdout.readline() == "done\n":
                return True
        except OSError:
            pass
        # Not answered in time (a loaded machine): the request may still be read later, and kill
        # the processes the next test starts. This reaper goes; _ensure_reaper starts a new one.
        self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # never a hung grader: the next kill_all works one by one meanwhile
        return False


_reapers: dict[int, _Reaper] = {}  # by learner uid (the supervisor stops every group's processes)
_reaper_lock = threading.Lock()  # tests start learner processes from several threads


def _ensure_reaper(cfg: SandboxConfig) -> None:
    with _reaper_lock:  # two at once would leave an unknown learner process: a "stray" that resets them all
        uid = cfg.learner_uid
        if uid is not None and (uid not in _reapers or _reapers[uid].process.poll() is not None):
            _reapers[uid] = _Reaper(cfg)


def _reaper_pid(uid: int) -> int | None:
    reaper = _reapers.get(uid)
    return reaper.process.pid if reaper else None


_kill_lock = threading.Lock()  # one kill_all at a time: the reaper answers one request at a time


def kill_all(cfg: SandboxConfig, reason: str | None = None) -> None:
    """SIGKILL every learner process: a hung or runaway one must not slow the tests after it.

    In the container that is every process of the learner's user (escaped daemons and fork
    bombs included); locally, the sessions of the processes this test run started. ``reason``
    (why the grader stopped them) is kept for each process that was running: ``killed_for``.
    """
    with _kill_lock:
        killed = list(_started)
        if reason:
            for process in killed:
                if process.poll() is None:
                    _killed_for[process] = reason
        _kill_all(cfg)
        _reap(killed)


def killed_for(process: subprocess.Popen | None) -> str | None:
    """Why ``kill_all`` stopped this process, if it was running then and given a reason."""
    return _killed_for.get(process) if process is not None else None


def _reap(processes: list[subprocess.Popen]) -> None:
    """Wait until the killed processes this one started are gone for good. A multi-threaded process
    shows as a zombie while its other threads still exit, and cannot be reaped yet: poll() would
    call it alive, and the next test would send its requests to a dying app ("killed (SIGKILL)")
    instead of starting a new one."""
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # unkillable (a process in uninterruptible sleep): ensure_running finds it later


def _kill_all(cfg: SandboxConfig) -> None:
    if cfg.learner_uid is not None:
        for _ in range(100):
            reaper = _reapers.get(cfg.learner_uid)
            pids = [pid for pid in _live_pids_of(cfg.learner_uid) if pid != _reaper_pid(cfg.learner_uid)]
            if not pids:
                return
            if not (reaper and reaper.kill_everything()):  # the learner killed it: one by one
                for signum in (signal.SIGSTOP, signal.SIGKILL):
                    for pid in pids:
                        try:
                            os.kill(pid, signum)
                        except OSError:
                            pass
                try:
                    _ensure_reaper(cfg)
                except OSError:
                    pass
            time.sleep(0.02)
    else:
        for process in _started:
            if process.poll() is None:
                stop(process)
        if cfg.pids_path.exists():  # those a killed test run started, too
            for line in cfg.pids_path.read_text().split():
                try:
                    os.killpg(int(line), signal.SIGKILL)
                except OSError:
                    pass


def kill_strays(cfg: SandboxConfig) -> None:
    """After a test: if learner code left processes of its own (forks, daemons), reset them all,
    so that nothing a test started can affect the next one."""
    if cfg.learner_uid is None:
        return
    known = {p.pid for p in _started if p.poll() is None} | {_reaper_pid(cfg.learner_uid)}
    if set(_live_pids_of(cfg.learner_uid)) - known:
        kill_all(cfg)


def _live_pids_of(uid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
                if state not in ("Z", "X"):  # zombies are dead already
                    pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def stop(process: subprocess.Popen | None) -> None:
    """Kill a learner process and everything in its session."""
    if process is None:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
