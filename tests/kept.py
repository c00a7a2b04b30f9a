"""The kept submissions of tests/submissions/<lab>/<name>/ and what each must score.

Each folder is an overlay: only the files it changes, laid over the lab's solution (or its
scaffold), and an ``expected.toml`` beside them::

    base = "solution"        # or "scaffold"
    kind = "wrong"           # wrong (a plausible bug) | alternative (another correct design)
    bug = "one sentence: what is wrong, and which README rule it breaks"

    [scores]                 # graded with only these parts; each must score exactly this
    orders = 5
    concurrency = 0

An ``alternative`` must get full marks in every part it lists. ``tests/e2e/test_submissions.py``
grades them all in containers, in parallel.
"""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path
from typing import Literal

from grader import load_manifest
from grader._manifest import lab_ids
from grader._paths import LABS_DIR, SOLUTIONS_DIR

SUBMISSIONS_DIR = Path(__file__).parent / "submissions"
EXPECTED = "expected.toml"
Kind = Literal["wrong", "alternative"]


@dataclasses.dataclass(frozen=True)
class KeptSubmission:
    lab: str
    name: str
    base: Literal["solution", "scaffold"]
    kind: Kind
    bug: str
    scores: dict[str, float]

    @property
    def id(self) -> str:
        return f"{self.lab}/{self.name}"

    @property
    def overlay(self) -> Path:
        return SUBMISSIONS_DIR / self.lab / self.name

    def build(self, target: Path) -> Path:
        """The submission: a copy of the base with the overlay on top (without expected.toml)."""
        source = {"solution": SOLUTIONS_DIR, "scaffold": LABS_DIR}[self.base] / self.lab
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(self.overlay, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(EXPECTED))
        return target


def load(path: Path) -> KeptSubmission:
    data = tomllib.loads(path.read_text())
    lab, name = path.parent.parent.name, path.parent.name
    manifest = load_manifest(lab)
    points = {part.id: part.points for part in manifest.parts}
    scores = dict(data["scores"])
    unknown = set(scores) - set(points)
    assert not unknown, f"{path}: no such part {sorted(unknown)} in {lab}"
    kept = KeptSubmission(
        lab=lab, name=name, base=data.get("base", "solution"), kind=data["kind"], bug=data["bug"], scores=scores
    )
    assert kept.kind in ("wrong", "alternative"), f"{path}: kind is wrong or alternative"
    if kept.kind == "alternative":
        assert scores == {p: points[p] for p in scores}, f"{path}: an alternative design gets full marks"
    else:
        assert scores != {p: points[p] for p in scores}, f"{path}: a wrong submission must lose points"
    return kept


def kept_submissions() -> list[KeptSubmission]:
    labs = set(lab_ids())
    return [load(path) for path in sorted(SUBMISSIONS_DIR.glob(f"*/*/{EXPECTED}")) if path.parent.parent.name in labs]
