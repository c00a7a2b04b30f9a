"""The sandbox's settings: one JSON document, handed from the host to every trusted process."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

ENV_VAR = "GRADER_SANDBOX_CONFIG"


@dataclasses.dataclass(frozen=True)
class SandboxConfig:
    suite_dir: str  # the hidden tests (readable by trusted processes only)
    submission_dir: str  # the learner's code (read-only)
    private_dir: str  # records, logs, pid files: trusted processes only
    scratch_dir: str  # HOME and TMPDIR of learner processes
    app: str | None = None  # "module:attribute" of the learner's ASGI app, for HTTP labs
    services: tuple[str, ...] = ()
    service_env: dict[str, str] = dataclasses.field(default_factory=dict)
    unavailable: dict[str, str] = dataclasses.field(default_factory=dict)  # service -> why
    learner_uid: int | None = None  # None: learner code runs as the grader's own user
    learner_gid: int | None = None
    test_timeout_s: float = 30.0
    startup_timeout_s: float = 15.0
    request_timeout_s: float = 5.0
    deadline_s: float = 120.0  # for the whole pytest run

    @property
    def records_path(self) -> Path:
        return Path(self.private_dir) / "records.jsonl"

    @property
    def pids_path(self) -> Path:
        return Path(self.private_dir) / "learner.pids"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    def replace(self, **changes) -> SandboxConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, text: str) -> SandboxConfig:
        data = json.loads(text)
        data["services"] = tuple(data.get("services", ()))
        return cls(**data)

    @classmethod
    def from_env(cls) -> SandboxConfig:
        try:
            return cls.from_json(os.environ[ENV_VAR])
        except KeyError:
            raise RuntimeError(f"{ENV_VAR} is not set: hidden suites run only under the grader") from None
