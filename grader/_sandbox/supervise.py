"""The sandbox's main process: services up, hidden suite run, every learner process gone.

Run as ``python -m grader._sandbox.supervise`` with ``GRADER_SANDBOX_CONFIG`` set. It always
exits 0 after cleaning up; what happened is in the records file, never in an exit status.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from . import services
from .config import ENV_VAR, SandboxConfig


def kill_learner_processes(cfg: SandboxConfig) -> None:
    """SIGKILL everything the learner started, including escaped daemons and fork bombs."""
    if cfg.learner_uid is not None:  # in the container: every process of the learner's user
        for _ in range(100):
            _reap_children()
            pids = _live_pids_of(cfg.learner_uid)
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)
    elif cfg.pids_path.exists():  # locally: the sessions of the processes we started
        for line in cfg.pids_path.read_text().split():
            try:
                os.killpg(int(line), signal.SIGKILL)
            except OSError:
                pass


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


def _reap_children() -> None:
    """As PID 1 of the container we inherit orphaned learner processes: collect the dead."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _pytest_command(cfg: SandboxConfig) -> list[str]:
    ini = Path(cfg.private_dir) / "pytest.ini"
    ini.write_text("[pytest]\n")  # ours, so no pytest.ini or conftest.py elsewhere is consulted
    return [
        sys.executable, "-m", "pytest", cfg.suite_dir,
        "-c", str(ini), "--rootdir", cfg.suite_dir,
        "-p", "grader._sandbox.plugin", "-p", "no:cacheprovider",
        f"--timeout={cfg.test_timeout_s:g}", "-q", "--color=no", "-W", "ignore::DeprecationWarning",
    ]


def _record(cfg: SandboxConfig, record: dict) -> None:
    with open(cfg.records_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _exit_on_sigterm(signum, frame):
    sys.exit(128 + signum)  # unwinds through the finally blocks below: nothing is left running


def main() -> None:
    os.umask(0o022)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    cfg = SandboxConfig.from_env()
    with ExitStack() as stack:
        service_env, unavailable = services.start_all(cfg.services, stack)
        if unavailable:
            _record(cfg, {"event": "services", "unavailable": unavailable})
        cfg = cfg.replace(service_env=service_env, unavailable=unavailable)
        env = {**os.environ, ENV_VAR: cfg.to_json(), "PYTHONDONTWRITEBYTECODE": "1"}
        with open(Path(cfg.private_dir) / "pytest.log", "wb") as log:
            pytest = subprocess.Popen(
                _pytest_command(cfg), env=env, cwd=cfg.private_dir,
                stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                pytest.wait(timeout=cfg.deadline_s)
            except subprocess.TimeoutExpired:
                _record(cfg, {"event": "deadline", "deadline_s": cfg.deadline_s})
            finally:
                pytest.kill()
                pytest.wait()
                kill_learner_processes(cfg)


if __name__ == "__main__":
    main()
