"""A lesson's lab cells are generated from its lab's manifest (``grader lab-cells``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from grader import GraderError, load_manifest
from grader._lessons import lab_cells, sync_lab_cells


def _lesson(root: Path, manifest, cells) -> Path:
    path = root / manifest.lesson
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def _grade_ids(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [c.metadata.get("nbgrader", {}).get("grade_id", c.get("id")) for c in notebook.cells]


def test_the_lab_cells_are_appended_then_left_alone(tmp_path):
    manifest = load_manifest("00-hello")
    path = _lesson(tmp_path, manifest, [nbformat.v4.new_markdown_cell("# Welcome", id="welcome")])
    assert sync_lab_cells(manifest, root=tmp_path, check=True)
    assert sync_lab_cells(manifest, root=tmp_path)
    assert _grade_ids(path) == ["welcome", "lab-intro", *(f"lab-{p.id}" for p in manifest.parts), "lab-check"]
    before = path.read_bytes()
    assert not sync_lab_cells(manifest, root=tmp_path)
    assert path.read_bytes() == before


def test_changed_parts_replace_the_old_cells_wherever_they_were(tmp_path):
    manifest = load_manifest("00-hello")
    old = lab_cells(manifest)
    stray = nbformat.from_dict({**old[1], "id": "stray"})  # a lab cell left above the lesson's end
    path = _lesson(tmp_path, manifest, [stray, nbformat.v4.new_markdown_cell("# Welcome", id="welcome"), *old])
    fewer = dataclasses.replace(manifest, parts=manifest.parts[:2])
    before = path.read_bytes()
    assert sync_lab_cells(fewer, root=tmp_path, check=True)
    assert path.read_bytes() == before  # check only
    sync_lab_cells(fewer, root=tmp_path)
    assert _grade_ids(path) == ["welcome", "lab-intro", *(f"lab-{p.id}" for p in fewer.parts), "lab-check"]
    points = [c.metadata.nbgrader["points"] for c in nbformat.read(path, as_version=4).cells[2:-1]]
    assert points == [p.points for p in fewer.parts]


def test_a_missing_lesson_is_a_one_line_error(tmp_path):
    with pytest.raises(GraderError, match=r"course/00-welcome\.ipynb does not exist"):
        sync_lab_cells(load_manifest("00-hello"), root=tmp_path)
