"""What the backends share: the sandbox settings for a manifest, running its supervisor, the records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .._manifest import Manifest
from .._progress import RecordCallback, follow_records
from .._results import BackendName
from .._sandbox.config import ENV_VAR, SandboxConfig
from .._sandbox.processes import kill_all
from .._scoring import SandboxRun

LOG_LIMIT = 20000
GRACE_S = 20  # on top of the manifest's timeout: services, start-up and clean-up
LEARNER_UID = LEARNER_GID = 10001  # the grading image's `learner` user (and Gradescope's)


class Backend(Protocol):
    """Runs the sandbox for one submission; raises InfrastructureError when its machinery fails."""

    name: BackendName
    isolated: bool  # learner code cannot read the hidden suite or reach the network

    def run(self, manifest: Manifest, submission: Path, *, on_record: RecordCallback | None = None) -> SandboxRun:
        """``on_record`` receives each record of the runner as it is written (for progress)."""
        ...


def sandbox_config(
    manifest: Manifest,
    *,
    suite_dir: str,
    submission_dir: str,
    private_dir: str,
    scratch_dir: str,
    learner_uid: int | None = None,
    learner_gid: int | None = None,
) -> SandboxConfig:
    """The sandbox's settings for a manifest, with where things are (and who learner code runs as)
    inside this backend's sandbox."""
    limits = manifest.limits
    return SandboxConfig(
        app=manifest.app,
        services=manifest.services,
        preload=manifest.preload,
        test_timeout_s=limits.test_timeout_s,
        startup_timeout_s=limits.startup_timeout_s,
        request_timeout_s=limits.request_timeout_s,
        deadline_s=limits.timeout_s,
        learner_memory_mb=limits.memory_mb,
        tests=tuple(spec.name for _, spec in manifest.tests) if manifest.partial else (),
        groups=manifest.groups,
        alone=manifest.alone,
        suite_dir=suite_dir,
        submission_dir=submission_dir,
        private_dir=private_dir,
        scratch_dir=scratch_dir,
        learner_uid=learner_uid,
        learner_gid=learner_gid,
    )


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records file, line by line; a torn last line (the writer was killed) is dropped."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def tail(text: str | bytes, limit: int = LOG_LIMIT) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text[-limit:]


def pytest_log(private_dir: Path) -> str:
    path = private_dir / "pytest.log"
    return tail(path.read_bytes()) if path.exists() else ""


def supervise_here(
    cfg: SandboxConfig,
    private: Path,
    *,
    preexec_fn: Callable[[], None] | None = None,
    on_record: RecordCallback | None = None,
) -> SandboxRun:
    """Run the sandbox's supervisor as a process of this machine (no container) and collect its run.

    The supervisor and everything it started are killed at the deadline, whatever happens.
    """
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "grader._sandbox.supervise"],
        env={**os.environ, ENV_VAR: cfg.to_json()},
        cwd=private,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec_fn,
    )
    problem = ""
    try:
        with follow_records(cfg.records_path, on_record):
            output, _ = supervisor.communicate(timeout=cfg.deadline_s + GRACE_S)
    except subprocess.TimeoutExpired:
        problem = f"the run did not finish within {cfg.deadline_s + GRACE_S:g} s and was stopped"
        output = b""
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
            supervisor.wait()
        for run, _ in cfg.runs():
            kill_all(run)
    if supervisor.returncode not in (0, None) and not problem:
        problem = f"the grading sandbox failed (exit status {supervisor.returncode})"
    return SandboxRun(
        records=read_records(cfg.records_path), log=tail(pytest_log(private) + tail(output)), problem=problem
    )
