"""The sandbox's settings: one JSON document, handed from the host to every trusted process."""

from __future__ import annotations

import dataclasses
import json
import os
import time
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
    preload: tuple[str, ...] = ()  # installed modules a spare learner process imports ahead of need
    service_env: dict[str, str] = dataclasses.field(default_factory=dict)
    unavailable: dict[str, str] = dataclasses.field(default_factory=dict)  # service -> why
    learner_uid: int | None = None  # None: learner code runs as the grader's own user
    learner_gid: int | None = None
    test_timeout_s: float = 30.0
    startup_timeout_s: float = 15.0
    request_timeout_s: float = 5.0
    deadline_s: float = 120.0  # for the whole pytest run
    learner_memory_mb: int = 0  # each learner process's data limit (RLIMIT_DATA); 0: none
    tests: tuple[str, ...] = ()  # "file.py::test" to run; empty: the whole suite
    # Test files that share nothing, run side by side: one pytest process per group, each with its
    # own learner user (so that a test's clean-up never stops another group's processes), its own
    # ports and its own services. Empty: one pytest process runs them all.
    groups: tuple[tuple[str, ...], ...] = ()
    alone: tuple[str, ...] = ()  # with groups: files run first, by themselves (they time the machine)
    group: int = 0  # which pytest process this is (``stages``): 0 the alone files', if any, then the groups
    # While the services start beside pytest's own start-up: the file their env will be in
    # (``with_services`` waits for it). Empty once the env is in ``service_env``.
    services_path: str = ""

    @property
    def records_path(self) -> Path:
        return Path(self.private_dir) / "records.jsonl"

    def with_services(self) -> SandboxConfig:
        """This config with the services' env: the supervisor starts them while pytest starts and
        collects, and writes their env (or why they are unavailable) to ``services_path`` - the
        fixtures wait here, so no test and no learner process runs before the services are up."""
        if not self.services_path:
            return self
        path = Path(self.services_path)
        while not path.exists():  # the supervisor always writes it; pytest-timeout bounds a hang
            time.sleep(0.02)
        data = json.loads(path.read_text(encoding="utf-8"))
        return self.replace(service_env=dict(data["env"]), unavailable=dict(data["unavailable"]), services_path="")

    def note_timing(self, event: str, **fields: object) -> None:
        """Append a timing record (``event``, wall-clock ``at``, ``fields``) for ``make bench``:
        where a run's time goes. Scoring ignores it; a record that cannot be written is skipped."""
        try:
            with open(self.records_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")
        except OSError:
            pass

    @property
    def pids_path(self) -> Path:
        return Path(self.private_dir) / f"learner-{self.group}.pids"

    def stages(self) -> list[list[Run]]:
        """The pytest processes of this run, stage after stage, the processes of a stage side by
        side: each one's config and the tests it is given (files, or "file.py::test" for a partial
        grading). The ``alone`` files' process, by itself, then one per group; one for the whole
        suite without groups."""
        if not self.groups:
            return [[(self, self.tests)]]
        alone, groups = [], []
        for group, files in enumerate([self.alone, *self.groups] if self.alone else self.groups):
            tests = tuple(t for t in self.tests if t.split("::")[0] in files) if self.tests else files
            if tests:
                uid = None if self.learner_uid is None else self.learner_uid + group
                scratch = f"{self.scratch_dir}/group-{group}"  # the supervisor makes it
                run = self.replace(group=group, learner_uid=uid, scratch_dir=scratch)
                if self.alone and group == 0:  # it times the machine: no spare's imports beside it
                    alone.append((run.replace(preload=()), tests))
                else:
                    groups.append((run, tests))
        return [stage for stage in (alone, groups) if stage]

    def runs(self) -> list[Run]:
        """Every pytest process of this run (``stages``, one after the other)."""
        return [run for stage in self.stages() for run in stage]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    def replace(self, **changes) -> SandboxConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, text: str) -> SandboxConfig:
        data = json.loads(text)
        data["services"] = tuple(data.get("services", ()))
        data["tests"] = tuple(data.get("tests", ()))
        data["preload"] = tuple(data.get("preload", ()))
        data["groups"] = tuple(tuple(files) for files in data.get("groups", ()))
        data["alone"] = tuple(data.get("alone", ()))
        return cls(**data)

    @classmethod
    def from_env(cls) -> SandboxConfig:
        try:
            return cls.from_json(os.environ[ENV_VAR])
        except KeyError:
            raise RuntimeError(f"{ENV_VAR} is not set: hidden suites run only under the grader") from None


Run = tuple[SandboxConfig, tuple[str, ...]]  # a pytest process: its config, and the tests it is given
