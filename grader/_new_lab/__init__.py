"""``grader new-lab NN-topic``: a new lab, gradable end to end, from one command.

It writes, under the course's root:

- ``grader/suites/NN-topic/``: the manifest (two parts, README rules traced in ``[rules]``) and two
  real example test files (one over HTTP, one through ``call``);
- ``labs/NN-topic/``: the scaffold (README with the contract's rules, an app that starts, functions
  that raise ``NotImplementedError``, public tests), which scores 0 in seconds;
- ``solutions/NN-topic/``: the scaffold's files with the model answer laid over them (full marks);
- ``course/NN-topic.ipynb``: a lesson skeleton with the course standard's sections, marked as a
  skeleton, ending with its lab cells; ``course/source/NN-topic/`` links it for nbgrader;
- a row for the lesson in the README's table of lessons.

The files come from ``template/`` (``@@{name}`` placeholders; ``suite/``, ``lab/``, and ``solution/``
holding only what differs from ``lab/``). ``CONTRIBUTING.md`` has the checklist that follows.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import nbformat

from .._errors import GraderError
from .._files import render_template
from .._lessons import sync_lab_cells
from .._manifest import load_manifest
from .._paths import REPO_ROOT
from ._lesson import lesson_skeleton

TEMPLATE = Path(__file__).with_name("template")
LAB_ID = re.compile(r"^(?P<number>\d{2})-(?P<topic>[a-z][a-z0-9]*(?:-[a-z0-9]+)*)$")
TABLE_ROW = re.compile(r"^\| (?P<number>\d{2}) \|", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class NewLab:
    lab: str
    title: str
    written: tuple[Path, ...]  # every file created or changed, relative to the root


def new_lab(*, lab: str, title: str | None = None, root: Path = REPO_ROOT) -> NewLab:
    """Write a new lab ``lab`` ("NN-topic") under ``root``; GraderError if the id is malformed or any
    of its files exists already. Nothing is written unless everything can be."""
    match = LAB_ID.match(lab)
    if not match:
        raise GraderError(f"a lab id is two digits, a dash and a topic in lowercase words: 05-rate-limits, not {lab!r}")
    title = title or match["topic"].replace("-", " ").capitalize()
    values = {"lab": lab, "number": match["number"], "title": title}
    targets = {
        "suite": root / "grader" / "suites" / lab,
        "lab": root / "labs" / lab,
        "solution": root / "solutions" / lab,
    }
    lesson = root / "course" / f"{lab}.ipynb"
    link = root / "course" / "source" / lab / f"{lab}.ipynb"
    readme = root / "README.md"
    taken = [p for p in [*targets.values(), lesson, link.parent] if p.exists() or p.is_symlink()]
    if taken:
        raise GraderError(f"{lab} exists already: {taken[0].relative_to(root)}")
    if not readme.is_file() or not (root / "course" / "source").is_dir():
        raise GraderError(f"{root} is not the course's root (no README.md or course/source/)")
    table = _with_lesson_row(readme.read_text(encoding="utf-8"), values)

    written = []
    for kind, target in targets.items():
        written += _render_tree(TEMPLATE / kind, target, values)
    written += _render_tree(TEMPLATE / "lab", targets["solution"], values, keep=False)  # what solution/ left out
    nbformat.write(lesson_skeleton(lab=lab, number=values["number"], title=title), lesson)
    sync_lab_cells(load_manifest(lab, root / "grader" / "suites"), root=root)
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(lesson, link.parent))
    readme.write_text(table, encoding="utf-8")
    written += [lesson, link, readme]
    return NewLab(lab=lab, title=title, written=tuple(sorted(p.relative_to(root) for p in written)))


def _render_tree(template: Path, target: Path, values: dict[str, str], *, keep: bool = True) -> list[Path]:
    """Write every ``*.tmpl`` under ``template`` to ``target`` (suffix dropped, placeholders filled);
    ``keep=False`` writes only the files ``target`` does not have yet."""
    written = []
    for source in sorted(template.rglob("*.tmpl")):
        path = target / source.relative_to(template).with_suffix("")
        if not keep and path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_template(source.read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(path)
    return written


def _with_lesson_row(readme: str, values: dict[str, str]) -> str:
    """The README with the lesson's row in its table of lessons (replacing a row of the same
    number, e.g. a planned one), rows kept in order."""
    rows = list(TABLE_ROW.finditer(readme))
    if not rows:
        raise GraderError("the README has no table of lessons (rows starting '| NN |')")
    row = (
        f"| {values['number']} | {values['title']} | `{values['lab']}`: TODO (skeleton) | TODO: what breaks it "
        f"| {_suite_size(values)} |"
    )
    for found in rows:
        start, end = found.start(), readme.index("\n", found.start())
        if found["number"] == values["number"]:
            return readme[:start] + row + readme[end:]
        if found["number"] > values["number"]:
            return readme[:start] + row + "\n" + readme[start:]
    end = readme.index("\n", rows[-1].start())
    return readme[:end] + "\n" + row + readme[end:]


def _suite_size(values: dict[str, str]) -> str:
    manifest = render_template((TEMPLATE / "suite" / "manifest.toml.tmpl").read_text(encoding="utf-8"), values)
    return f"{manifest.count('[[parts.tests]]')} tests, {manifest.count('[[parts]]')} parts"
