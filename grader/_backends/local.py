"""The local backend: the same sandbox pipeline as the container, as plain processes.

For machines without Docker. Learner code still runs in its own processes and never shares
one with the hidden tests, but as your own user, with no network, memory or process limits:
it could read the hidden tests. Good for practice, not for grades that count.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .._manifest import Manifest
from .._sandbox.config import ENV_VAR
from .._sandbox.processes import kill_all
from .._scoring import SandboxRun
from ._common import GRACE_S, pytest_log, read_records, sandbox_config, tail

WARNING = "local backend: isolation is off (no container, no network or memory limits); use Docker for real grades"


class LocalBackend:
    name = "local"
    isolated = False

    def run(self, manifest: Manifest, submission: Path) -> SandboxRun:
        with tempfile.TemporaryDirectory(prefix="grader-local-") as root:
            private, scratch = Path(root, "private"), Path(root, "scratch")
            private.mkdir(mode=0o700)
            scratch.mkdir(mode=0o700)
            cfg = sandbox_config(
                manifest, suite_dir=str(manifest.suite_dir), submission_dir=str(submission),
                private_dir=str(private), scratch_dir=str(scratch),
            )
            supervisor = subprocess.Popen(
                [sys.executable, "-m", "grader._sandbox.supervise"],
                env={**os.environ, ENV_VAR: cfg.to_json()}, cwd=private,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            )
            problem = ""
            try:
                output, _ = supervisor.communicate(timeout=cfg.deadline_s + GRACE_S)
            except subprocess.TimeoutExpired:
                problem = f"the run did not finish within {cfg.deadline_s + GRACE_S:g} s and was stopped"
                output = b""
            finally:
                if supervisor.poll() is None:
                    os.killpg(supervisor.pid, signal.SIGKILL)
                    supervisor.wait()
                kill_all(cfg)
            if supervisor.returncode not in (0, None) and not problem:
                problem = f"the grading sandbox failed (exit status {supervisor.returncode})"
            return SandboxRun(records=read_records(cfg.records_path), log=tail(pytest_log(private) + tail(output)),
                              problem=problem)
