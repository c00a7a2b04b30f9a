"""Each edition tells the truth: every `make` target, `grader` command and path that the full
edition's texts or the student edition's texts name exists in that edition.

The texts are what a reader of that edition sees: its README, the lab READMEs and the lessons
(markdown, and the strings code cells print). Names are taken from inline code and fenced
blocks, so prose such as "make sure" is not a command.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from grader._lessons import CELL_PREFIX
from grader._paths import REPO_ROOT
from grader._workspace import EDITION_KEY, Edition

CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
PRINTED = re.compile(r"""(?<![\w])(?:f?"([^"\n]*)"|f?'([^'\n]*)')""")
MAKE = re.compile(r"(?<![\w.-])make ([a-z][a-z-]*)")
GRADER = re.compile(r"(?:^|\n|\$ |: )grader ([a-z][a-z-]*)")  # a command line, not "the grader scores..."
PATH = re.compile(r"(?<![\w./-])((?:labs|course|solutions|grader|datasets|workspace|tests|docs)/[\w./-]*)")
PLACEHOLDER = re.compile(r"NN|LAB|<|\*|\{|\.\.\.|XX")
MADE_BY = {"workspace/": "workspace", "course/release": "release", "build/": "release"}  # path -> make target


def texts(root: Path, edition: Edition) -> Iterator[tuple[Path, str, str]]:
    """(folder its paths are relative to, where, code) for every piece of inline or fenced code,
    or printed string, a reader of ``edition`` sees."""
    for readme in [root / "README.md", *sorted(root.glob("labs/*/README.md"))]:
        for code in CODE.findall(readme.read_text()):
            yield readme.parent, str(readme.relative_to(root)), code
    for lesson in sorted(root.glob("course/*.ipynb")):
        for cell in nbformat.read(lesson, as_version=4).cells:
            if cell.metadata.get(EDITION_KEY, edition) != edition:
                continue
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith(CELL_PREFIX):
                continue  # generated lab cells: their messages are for an instructor whose autograde is misconfigured
            where = f"{lesson.relative_to(root)} cell {cell.get('id')}"
            if cell.cell_type == "markdown":
                found = CODE.findall(cell.source)
            else:
                found = [a or b for a, b in PRINTED.findall(cell.source)]
            for code in found:
                yield root, where, code


def make_targets(root: Path) -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (root / "Makefile").read_text(), re.MULTILINE))


def grader_commands() -> set[str]:
    from grader._cli import app

    commands = {command.name or command.callback.__name__ for command in app.registered_commands if command.callback}
    return commands | {group.name for group in app.registered_groups if group.name}


def untrue(root: Path, edition: Edition, *, commands: set[str]) -> list[str]:
    """What the edition's texts name that the edition does not have."""
    targets, missing = make_targets(root), []
    for folder, where, code in texts(root, edition):
        for target in MAKE.findall(code):
            if target not in targets:
                missing.append(f"{where}: `make {target}` (no such target)")
        for command in GRADER.findall(code):
            if command not in commands:
                missing.append(f"{where}: `grader {command}` (no such command in this edition)")
        for path in PATH.findall(code):
            path = path.rstrip(".")
            made = [target for prefix, target in MADE_BY.items() if path.startswith(prefix)]
            if PLACEHOLDER.search(path) or (made and made[0] in targets):
                continue  # a pattern, or what a make target creates
            if not (folder / path).exists() and not (root / path).exists():
                missing.append(f"{where}: {path} (no such file or folder)")
    return sorted(set(missing))


def test_the_full_edition_names_only_what_it_has():
    assert untrue(REPO_ROOT, "full", commands=grader_commands()) == []


@pytest.mark.slow
def test_the_student_edition_names_only_what_it_has(student_edition):
    edition = student_edition[1].parent / "duckshop-course"
    assert untrue(edition, "student", commands=set()) == []  # no grader package in this edition
    for lesson in edition.glob("course/*.ipynb"):
        cells = nbformat.read(lesson, as_version=4).cells
        assert all(cell.metadata.get(EDITION_KEY, "student") == "student" for cell in cells), lesson.name
