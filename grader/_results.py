"""The results of one grading run: small versioned dataclasses, and their JSON form.

The JSON is a superset of Gradescope's ``results.json`` (``score``, ``execution_time``,
``output``, ``visibility``, ``tests[]`` with ``score``/``max_score``/``status``/``name``/
``number``/``output``/``tags``/``visibility``) plus the course's own fields. Its JSON Schema
is ``grader/schema/results.schema.json``. Display lives in ``_report``, not here.
"""

from __future__ import annotations

import dataclasses
import json
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = 1


class Status(StrEnum):
    """How a grading run, or one test of it, ended. Equal to its JSON string (``"passed"``...)."""

    PASSED = "passed"  # full marks (a test: it passed)
    FAILED = "failed"  # graded, not full marks (a test: it failed)
    ERROR = "error"  # could not grade (a test: it never ran, or broke outside its assertions)

    @property
    def graded(self) -> bool:
        return self is not Status.ERROR


class BackendName(StrEnum):
    """Where a run's sandbox ran; ``none``: no sandbox ran at all."""

    DOCKER = "docker"
    LOCAL = "local"
    GRADESCOPE = "gradescope"
    NONE = "none"


@dataclasses.dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    part: str
    score: float
    max_score: float
    status: Status
    message: str = ""
    hint: str = ""
    output: str = ""
    duration_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))  # "passed" and Status.PASSED alike

    def to_dict(self, number: int) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "status": str(self.status),
            "number": str(number),
            "tags": [self.part],
            "visibility": "visible",
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        return cls(
            name=data["name"],
            part=data["part"],
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            status=Status(data["status"]),
            message=data.get("message", ""),
            hint=data.get("hint", ""),
            output=data.get("output", ""),
            duration_s=float(data.get("duration_s", 0.0)),
        )


@dataclasses.dataclass(frozen=True)
class PartResult:
    id: str
    title: str
    score: float
    max_score: float


@dataclasses.dataclass(frozen=True)
class Results:
    lab: str
    score: float
    max_score: float
    status: Status  # passed: full marks; failed: graded, not full marks; error: could not grade
    backend: BackendName
    duration_s: float
    message: str = ""  # one line; for status "error", why grading was impossible
    title: str = ""
    parts: tuple[PartResult, ...] = ()
    tests: tuple[TestResult, ...] = ()
    output: str = ""  # Gradescope's top-level output: shown to learners, so nothing of the suite's
    partial: bool = False  # only some parts were graded (``grade(parts=...)``)
    # Not the submission's grade: the grading machinery failed (Docker unavailable or broke the run
    # off, the image missing...). Status is "error"; grading again, once fixed, may succeed.
    infrastructure_failure: bool = False
    # The sandbox's own log (pytest's output, the supervisor's): for instructors only. It can quote
    # hidden tests, so it is never part of the JSON, the reports or feedback; batch keeps it in logs/.
    log: str = dataclasses.field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))  # "passed" and Status.PASSED alike
        object.__setattr__(self, "backend", BackendName(self.backend))

    @classmethod
    def error(
        cls,
        *,
        lab: str,
        message: str,
        backend: BackendName = BackendName.NONE,
        duration_s: float = 0.0,
        max_score: float = 0.0,
        infrastructure_failure: bool = False,
    ) -> Results:
        """The result of a run that could not grade: it still exists, scores 0 and says why."""
        return cls(
            lab=lab,
            score=0.0,
            max_score=max_score,
            status=Status.ERROR,
            backend=backend,
            duration_s=round(duration_s, 3),
            message=message,
            infrastructure_failure=infrastructure_failure,
        )

    @property
    def exit_code(self) -> int:
        """0 full marks, 1 graded, 2 could not grade (``grader grade``)."""
        return {Status.PASSED: 0, Status.FAILED: 1, Status.ERROR: 2}[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "lab": self.lab,
            "title": self.title,
            "score": self.score,
            "max_score": self.max_score,
            "status": str(self.status),
            "message": self.message,
            "backend": str(self.backend),
            "duration_s": self.duration_s,
            "execution_time": self.duration_s,
            "output": self.output,
            "visibility": "visible",
            "partial": self.partial,
            "infrastructure_failure": self.infrastructure_failure,
            "parts": [dataclasses.asdict(p) for p in self.parts],
            "tests": [t.to_dict(number) for number, t in enumerate(self.tests, start=1)],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        """The results ``to_dict`` gave (e.g. read back from ``grader grade --json``); raises
        ValueError for another schema version, KeyError/TypeError/ValueError for malformed data."""
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"results schema_version {data.get('schema_version')!r}, expected {SCHEMA_VERSION}")
        return cls(
            lab=data["lab"],
            title=data.get("title", ""),
            score=float(data["score"]),
            max_score=float(data["max_score"]),
            status=Status(data["status"]),
            backend=BackendName(data["backend"]),
            duration_s=float(data["duration_s"]),
            message=data.get("message", ""),
            output=data.get("output", ""),
            partial=bool(data.get("partial", False)),
            infrastructure_failure=bool(data.get("infrastructure_failure", False)),
            parts=tuple(
                PartResult(id=p["id"], title=p["title"], score=float(p["score"]), max_score=float(p["max_score"]))
                for p in data["parts"]
            ),
            tests=tuple(TestResult.from_dict(t) for t in data["tests"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"
