"""Learners get their own copies of the lessons: no answers, and never overwritten."""

import nbformat

from grader._workspace import COURSE_DIR, for_edition, make_workspace


def test_learner_copies_have_no_solutions_and_are_made_once(tmp_path):
    created = make_workspace(workspace_dir=tmp_path)
    assert sorted(p.name for p in created) == sorted(p.name for p in COURSE_DIR.glob("*.ipynb"))
    assert created, "the course has lessons"
    for path in created:
        text = path.read_text()
        assert "### BEGIN SOLUTION" not in text and "### BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError" in text or "YOUR ANSWER HERE" in text
        cells = nbformat.read(path, as_version=4).cells
        assert all(cell.metadata.get("edition", "full") == "full" for cell in cells), "the full course's cells only"
    mine = created[0]
    notebook = nbformat.read(mine, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("my own notes"))
    nbformat.write(notebook, mine)
    assert make_workspace(workspace_dir=tmp_path) == []
    assert "my own notes" in mine.read_text()


def test_an_edition_keeps_its_own_cells_and_the_shared_ones():
    def cell(edition: str | None) -> nbformat.NotebookNode:
        made = nbformat.v4.new_markdown_cell(str(edition))
        if edition:
            made.metadata["edition"] = edition
        return made

    for edition in ("full", "student"):
        notebook = nbformat.v4.new_notebook(cells=[cell(None), cell("full"), cell("student")])
        assert [c.source for c in for_edition(notebook, edition).cells] == ["None", edition]
