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
from contextlib import ExitStack
from pathlib import Path

from . import processes, services
from .config import ENV_VAR, SandboxConfig


def _pytest_command(cfg: SandboxConfig) -> list[str]:
    ini = Path(cfg.private_dir) / "pytest.ini"
    ini.write_text("[pytest]\n")  # ours, so no pytest.ini or conftest.py elsewhere is consulted
    return [
        sys.executable, "-m", "pytest", cfg.suite_dir,
        "-c", str(ini), "--rootdir", cfg.suite_dir,
        "-p", "grader._sandbox.plugin", "-p", "pytest_timeout", "-p", "no:cacheprovider",
        f"--timeout={cfg.test_timeout_s:g}", "-q", "--tb=no", "--color=no", "-W", "ignore::DeprecationWarning",
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
        # No plugin loads by itself (a suite's conftest.py can ask for the ones it needs): faster,
        # and nothing installed in the environment joins the hidden test run unasked.
        env = {**os.environ, ENV_VAR: cfg.to_json(), "PYTHONDONTWRITEBYTECODE": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
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
                processes.kill_all(cfg)


if __name__ == "__main__":
    main()
