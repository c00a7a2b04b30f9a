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
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from . import processes, services
from .config import ENV_VAR, Run, SandboxConfig
from .ports import RANGE_ENV, group_ports

PYTEST_LOG_BYTES = 64 * 1024


def _pytest_command(cfg: SandboxConfig, tests: tuple[str, ...], ini: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "grader._sandbox.pytest_main",  # pytest, after starting the first spare
        *([f"{cfg.suite_dir}/{test}" for test in tests] or [cfg.suite_dir]),
        "-c",
        str(ini),
        "--rootdir",
        cfg.suite_dir,
        "-p",
        "grader._sandbox.plugin",
        "-p",
        "pytest_timeout",
        "-p",
        "no:cacheprovider",
        f"--timeout={cfg.test_timeout_s:g}",
        "-q",
        "--tb=no",
        "--color=no",
        "-W",
        "ignore::DeprecationWarning",
    ]


def _record(cfg: SandboxConfig, record: dict) -> None:
    with open(cfg.records_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _exit_on_sigterm(signum, frame):
    sys.exit(128 + signum)  # unwinds through the finally blocks below: nothing is left running


def _start_services(cfg: SandboxConfig, stack: ExitStack, paths: list[Path]) -> None:
    """Start one set of the services on ``stack`` for each of ``paths`` (each pytest process has
    its own), then write each set's env (or why they are unavailable) to its path for
    ``SandboxConfig.with_services``, whatever happens. Only then: no test runs while a service
    starts (the ``alone`` files, which time the machine, would time the start too)."""
    started = time.monotonic()
    sets: dict[Path, tuple[dict[str, str], dict[str, str]]] = {}
    try:
        for path in paths:
            try:
                sets[path] = services.start_all(cfg.services, stack)
            except Exception as exc:  # never leave the tests waiting for a file that will not come
                sets[path] = (
                    {},
                    {name: f"could not start ({type(exc).__name__}: {exc})"[:300] for name in cfg.services},
                )
    finally:
        cfg.note_timing("services-up", seconds=round(time.monotonic() - started, 3), services=list(cfg.services))
        for path in paths:
            service_env, unavailable = sets.get(
                path, ({}, {name: "not started: the sandbox stopped" for name in cfg.services})
            )
            if unavailable:
                _record(cfg, {"event": "services", "unavailable": unavailable})
            pending = path.with_name(path.name + ".tmp")
            pending.write_text(json.dumps({"env": service_env, "unavailable": unavailable}), encoding="utf-8")
            os.replace(pending, path)


class _Deadline:
    """The suite's time limit: ``deadline_s`` of running pytest, from the supervisor's start plus
    however long the services took (they start beside pytest's own start-up)."""

    def __init__(self, deadline_s: float, starter: threading.Thread | None):
        self.started, self.deadline_s, self.starter = time.monotonic(), deadline_s, starter
        self.services_s = 0.0

    def wait(self, pytests: list[subprocess.Popen]) -> bool:
        """Wait for every one of ``pytests``; False once the time limit is reached."""
        for pytest in pytests:
            while True:
                if self.starter is not None:
                    self.services_s = time.monotonic() - self.started  # their start so far; fixed once done
                    if not self.starter.is_alive():
                        self.starter = None
                remaining = self.started + self.services_s + self.deadline_s - time.monotonic()
                if remaining <= 0:
                    return False
                try:
                    pytest.wait(timeout=min(remaining, 0.5) if self.starter is not None else remaining)
                    break
                except subprocess.TimeoutExpired:
                    continue
        return True


def main() -> None:
    os.umask(0o022)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    cfg = SandboxConfig.from_env()
    cfg.note_timing("supervisor")
    stages = cfg.stages()
    with ExitStack() as stack:
        # Services start while pytest starts and collects (both take seconds); the suite's fixtures
        # wait for them (``SandboxConfig.with_services``) before any test or learner process runs.
        starter: threading.Thread | None = None
        if cfg.services:
            path = {
                run.group: Path(cfg.private_dir) / f"services-{run.group}.json" for stage in stages for run, _ in stage
            }
            starter = threading.Thread(target=_start_services, args=(cfg, stack, list(path.values())), name="services")
            starter.start()
            stages = [
                [(run.replace(services_path=str(path[run.group])), tests) for run, tests in stage] for stage in stages
            ]
        else:
            cfg.note_timing("services-up", seconds=0.0, services=[])
        try:
            _run_pytests(cfg, stages, _Deadline(cfg.deadline_s, starter))
        finally:
            if starter is not None:
                starter.join()  # the stack stops the services only once they have started


def _run_pytests(cfg: SandboxConfig, stages: list[list[Run]], deadline: _Deadline) -> None:
    """The hidden suite: one pytest process, or one per test group side by side (after the
    ``alone`` files' by itself): ``SandboxConfig.stages``."""
    runs = [run for stage in stages for run in stage]
    # Scoring expects one "collected" and one "finished" record from each.
    _record(cfg, {"event": "runs", "count": len(runs)})
    # pytest's output can quote learner text at any length: only its tail is kept, and it goes to
    # the instructors' log (never to learners: it can quote hidden tests).
    read_end, write_end = os.pipe()
    output = processes.Output(read_end, keep=PYTEST_LOG_BYTES)
    pytests: list[subprocess.Popen] = []
    ini = Path(cfg.private_dir) / "pytest.ini"
    ini.write_text("[pytest]\n")  # ours, so no pytest.ini or conftest.py elsewhere is consulted
    try:
        for run, _ in runs:  # each group's own, sticky as /tmp is; all made before any learner code runs
            if run.scratch_dir != cfg.scratch_dir:
                os.mkdir(run.scratch_dir)
                os.chmod(run.scratch_dir, 0o1777)
        for stage in stages:
            started = [_start_pytest(run, tests, ini, write_end, grouped=len(runs) > 1) for run, tests in stage]
            pytests += started
            if not deadline.wait(started):
                _record(cfg, {"event": "deadline", "deadline_s": cfg.deadline_s})
                break
            for run, _ in stage:  # nothing of this stage runs beside the next
                processes.kill_all(run)
    finally:
        for pytest in pytests:
            pytest.kill()
            pytest.wait()
        for run, _ in runs:
            processes.kill_all(run)
        os.close(write_end)
        output.wait(timeout_s=5)
        (Path(cfg.private_dir) / "pytest.log").write_text(output.tail(PYTEST_LOG_BYTES), encoding="utf-8")


def _start_pytest(
    run: SandboxConfig, tests: tuple[str, ...], ini: Path, output: int, *, grouped: bool
) -> subprocess.Popen:
    """One pytest process of the run, its output to ``output``. No plugin loads by itself (a
    suite's conftest.py can ask for the ones it needs): faster, and nothing installed in the
    environment joins the hidden test run unasked."""
    env = {
        **os.environ,
        ENV_VAR: run.to_json(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        **({RANGE_ENV: group_ports(run.group)} if grouped else {}),
    }
    command = _pytest_command(run, tests, ini)
    return subprocess.Popen(command, env=env, cwd=run.private_dir, stdout=output, stderr=subprocess.STDOUT)


if __name__ == "__main__":
    main()
