"""Learner processes at the lowest level: start them as the learner, stop them, reset them all."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .config import SandboxConfig

LOG_TAIL_BYTES = 4000

_started: list[subprocess.Popen] = []  # by this process, for kill_all outside the container


def _shim_path(cfg: SandboxConfig) -> str:
    """Copy the shim where the learner's user can read (but not change) it."""
    shim_dir = Path(cfg.scratch_dir) / ".grader-shim"
    target = shim_dir / "learner_shim.py"
    if not target.exists():  # atomically: tests may start learner processes from several threads
        shim_dir.mkdir(mode=0o755, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=shim_dir)
        os.close(fd)
        shutil.copyfile(Path(__file__).with_name("learner_shim.py"), temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    return str(target)


def _learner_env(cfg: SandboxConfig, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": cfg.scratch_dir,
        "TMPDIR": cfg.scratch_dir,
        "LANG": "C.UTF-8",
    }
    env.update(cfg.service_env)
    env.update(extra)
    return env


def spawn(
    cfg: SandboxConfig, mode: str, *args: str, env: dict[str, str] | None = None, pass_fds: tuple[int, ...] = ()
) -> tuple[subprocess.Popen, Path]:
    """Start the shim as the learner; its output goes to a log file only trusted code reads."""
    _ensure_reaper(cfg)
    log_fd, log_path = tempfile.mkstemp(prefix=f"learner-{mode}-", suffix=".log", dir=cfg.private_dir)
    # At a lower priority than the grader: a runaway submission cannot starve the tests or the reaper.
    command = ["nice", "-n", "10", sys.executable, "-I", "-u", "-B", _shim_path(cfg), mode,
               "--submission", cfg.submission_dir, *args]
    try:
        process = subprocess.Popen(
            command,
            cwd=cfg.scratch_dir,
            env=_learner_env(cfg, env or {}),
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=subprocess.STDOUT,
            pass_fds=pass_fds,
            start_new_session=True,
            user=cfg.learner_uid,
            group=cfg.learner_gid,
            extra_groups=[] if cfg.learner_uid is not None else None,
            umask=0o077,
        )
    finally:
        os.close(log_fd)
    _started.append(process)
    with open(cfg.pids_path, "a") as pids:
        pids.write(f"{process.pid}\n")
    return process, Path(log_path)


class _Reaper:
    """A process of the learner's user, started before any learner code, whose only job is
    ``kill(-1, SIGKILL)`` on request: the kernel then signals every process of that user at
    once, even a fork bomb that has taken every free process slot (so nothing new could be
    started to stop it)."""

    SOURCE = "import os, sys\nfor _ in sys.stdin:\n    os.kill(-1, 9)\n    print('done', flush=True)\n"

    def __init__(self, cfg: SandboxConfig):
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-c", self.SOURCE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            user=cfg.learner_uid, group=cfg.learner_gid, extra_groups=[], cwd="/", env={},
        )

    def kill_everything(self) -> bool:
        if self.process.poll() is not None:
            return False
        try:
            self.process.stdin.write("kill\n")
            self.process.stdin.flush()
            ready, _, _ = select.select([self.process.stdout], [], [], 5)
            return bool(ready) and self.process.stdout.readline() == "done\n"
        except OSError:
            return False


_reaper: _Reaper | None = None


def _ensure_reaper(cfg: SandboxConfig) -> None:
    global _reaper
    if cfg.learner_uid is not None and (_reaper is None or _reaper.process.poll() is not None):
        _reaper = _Reaper(cfg)


def kill_all(cfg: SandboxConfig) -> None:
    """SIGKILL every learner process: a hung or runaway one must not slow the tests after it.

    In the container that is every process of the learner's user (escaped daemons and fork
    bombs included); locally, the sessions of the processes this test run started.
    """
    if cfg.learner_uid is not None:
        for _ in range(100):
            pids = [pid for pid in _live_pids_of(cfg.learner_uid) if not _reaper or pid != _reaper.process.pid]
            if not pids:
                return
            if not (_reaper and _reaper.kill_everything()):  # the learner killed it: one by one
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
    known = {p.pid for p in _started if p.poll() is None} | ({_reaper.process.pid} if _reaper else set())
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


def log_tail(log_path: Path | None, limit: int = LOG_TAIL_BYTES) -> str:
    if log_path is None or not log_path.exists():
        return ""
    with open(log_path, "rb") as f:
        f.seek(max(0, log_path.stat().st_size - limit))
        return f.read().decode("utf-8", "replace")


