"""What both backends share: the sandbox settings for a manifest, and reading the records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from .._manifest import Manifest
from .._sandbox.config import SandboxConfig
from .._scoring import SandboxRun

LOG_LIMIT = 20000
GRACE_S = 20  # on top of the manifest's timeout: services, start-up and clean-up


class Backend(Protocol):
    name: str
    isolated: bool

    def run(self, manifest: Manifest, submission: Path) -> SandboxRun: ...


def sandbox_config(manifest: Manifest, **paths_and_users) -> SandboxConfig:
    limits = manifest.limits
    return SandboxConfig(
        app=manifest.app,
        services=manifest.services,
        test_timeout_s=limits.test_timeout_s,
        startup_timeout_s=limits.startup_timeout_s,
        request_timeout_s=limits.request_timeout_s,
        deadline_s=limits.timeout_s,
        **paths_and_users,
    )


def read_records(path: Path) -> list[dict]:
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
