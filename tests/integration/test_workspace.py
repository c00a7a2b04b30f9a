"""Learners get their own copies of the lessons: no answers, and never overwritten."""

import nbformat

from grader._workspace import COURSE_DIR, make_workspace


def test_learner_copies_have_no_solutions_and_are_made_once(tmp_path):
    created = make_workspace(workspace_dir=tmp_path)
    assert sorted(p.name for p in created) == sorted(p.name for p in COURSE_DIR.glob("*.ipynb"))
    assert created, "the course has lessons"
    for path in created:
        text = path.read_text()
        assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError" in text or "YOUR ANSWER HERE" in text
    mine = created[0]
    notebook = nbformat.read(mine, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("my own notes"))
    nbformat.write(notebook, mine)
    assert make_workspace(workspace_dir=tmp_path) == []
    assert "my own notes" in mine.read_text()
