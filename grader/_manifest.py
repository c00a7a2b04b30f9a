"""A lab's manifest (``grader/suites/<lab>/manifest.toml``): its parts, points, hints and limits."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable
from pathlib import Path

from ._errors import GraderError
from ._paths import SUITES_DIR

KNOWN_SERVICES = {"postgres", "redis"}
MAX_GROUPS = 4  # the grading image has a learner user for each (uids 10001-10004)


@dataclasses.dataclass(frozen=True)
class TestSpec:
    __test__ = False  # not a pytest test class

    name: str  # "test_file.py::test_function" (every parametrisation must pass)
    hint: str  # the concept and the lesson section to revisit
    points: float = 1.0

    def matches(self, nodeid: str) -> bool:
        return nodeid == self.name or nodeid.startswith(self.name + "[")


@dataclasses.dataclass(frozen=True)
class Part:
    id: str
    title: str
    tests: tuple[TestSpec, ...]

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)


@dataclasses.dataclass(frozen=True)
class Limits:
    timeout_s: float = 120  # wall clock for the whole hidden suite
    memory_mb: int = 768
    cpus: float = 1.0
    pids: int = 256
    scratch_mb: int = 256  # the tmpfs learner code may write to
    test_timeout_s: float = 30
    startup_timeout_s: float = 15
    request_timeout_s: float = 5


@dataclasses.dataclass(frozen=True)
class Manifest:
    id: str
    title: str
    lesson: str
    suite_dir: Path
    parts: tuple[Part, ...]
    limits: Limits = Limits()
    app: str | None = None  # "module:attribute" of the learner's ASGI app
    services: tuple[str, ...] = ()
    # Installed modules (FastAPI, SQLAlchemy...) imported by a learner process started ahead of
    # need, so that a test starting an app does not wait for them: for labs that start many.
    preload: tuple[str, ...] = ()
    partial: bool = False  # only some parts are graded (``select``)
    # Test files that share nothing, run side by side in groups: one pytest process, one learner
    # user and one set of services each. Empty: one pytest process runs them all, one after the other.
    groups: tuple[tuple[str, ...], ...] = ()
    # With groups: test files that time something against the machine (CPU, a reference app), run
    # first in a pytest process of their own, alone, before the groups start.
    alone: tuple[str, ...] = ()
    # The README's contract rules ("R1", "R2"...), each with the tests that fail when it is broken.
    rules: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def tests(self) -> list[tuple[Part, TestSpec]]:
        return [(part, test) for part in self.parts for test in part.tests]

    def select(self, parts: Iterable[str]) -> Manifest:
        """The same lab with only ``parts`` (ids, in the manifest's order): a partial grading."""
        wanted = list(dict.fromkeys(parts))
        unknown = [p for p in wanted if p not in {part.id for part in self.parts}]
        if unknown:
            known = ", ".join(part.id for part in self.parts)
            raise GraderError(f"{self.id} has no part {unknown[0]!r} (its parts: {known})")
        return dataclasses.replace(self, parts=tuple(p for p in self.parts if p.id in wanted), partial=True)


def lab_ids(suites_dir: Path | None = None) -> list[str]:
    suites_dir = suites_dir or SUITES_DIR
    return sorted(p.parent.name for p in suites_dir.glob("*/manifest.toml"))


def load_manifest(lab: str, suites_dir: Path | None = None) -> Manifest:
    suites_dir = suites_dir or SUITES_DIR
    path = suites_dir / lab / "manifest.toml"
    if "/" in lab or not path.is_file():
        known = ", ".join(lab_ids(suites_dir)) or "none"
        raise GraderError(f"unknown lab {lab!r} (known labs: {known})")
    try:
        data = tomllib.loads(path.read_text())
        learner = data.get("learner", {})
        manifest = Manifest(
            id=lab,
            title=data["title"],
            lesson=data.get("lesson", ""),
            suite_dir=path.parent,
            limits=Limits(**data.get("limits", {})),
            app=learner.get("app"),
            services=tuple(learner.get("services", ())),
            preload=tuple(learner.get("preload", ())),
            groups=tuple(tuple(files) for files in data.get("groups", ())),
            alone=tuple(data.get("alone", ())),
            rules={rule: tuple(tests) for rule, tests in data.get("rules", {}).items()},
            parts=tuple(
                Part(id=p["id"], title=p["title"], tests=tuple(TestSpec(**t) for t in p["tests"]))
                for p in data["parts"]
            ),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise GraderError(f"{path}: invalid manifest ({type(exc).__name__}: {exc})") from None
    unknown = set(manifest.services) - KNOWN_SERVICES
    if unknown:
        raise GraderError(f"{path}: unknown services {sorted(unknown)} (known: {sorted(KNOWN_SERVICES)})")
    if manifest.groups or manifest.alone:
        _check_groups(path, manifest)
    return manifest


def _check_groups(path: Path, manifest: Manifest) -> None:
    """Every test file of the manifest in exactly one group (or ``alone``), at most ``MAX_GROUPS``
    pytest processes in all."""
    if not manifest.groups:
        raise GraderError(f"{path}: alone needs groups (without them every file runs in one pytest process)")
    grouped = [file for files in (manifest.alone, *manifest.groups) for file in files]
    files = {spec.name.split("::")[0] for _, spec in manifest.tests}
    runs = len(manifest.groups) + bool(manifest.alone)
    if runs > MAX_GROUPS:
        raise GraderError(f"{path}: {runs} pytest processes (groups, and alone); at most {MAX_GROUPS}")
    twice = sorted({file for file in grouped if grouped.count(file) > 1})
    if twice:
        raise GraderError(f"{path}: {', '.join(twice)} in more than one group")
    if set(grouped) != files:
        missing, unknown = ", ".join(sorted(files - set(grouped))), ", ".join(sorted(set(grouped) - files))
        raise GraderError(
            f"{path}: groups must hold every test file once (missing {missing or 'none'}; unknown {unknown or 'none'})"
        )
