"""A new lesson's skeleton: the course standard's sections, in order, each saying what it must hold.

It is marked as a skeleton in its first cell and runs top to bottom as it is (three small
nbgrader exercises included), so the course's tests pass while an author fills it in. The lab
cells at its end come from the lab's manifest (``grader lab-cells``), not from here.
"""

from __future__ import annotations

import nbformat

_SKELETON_NOTE = """\
> **Skeleton written by `grader new-lab`.** Each section below says what it must hold
> (`COURSE-STANDARD.md`: 45 to 90 minutes, a live "break it" experiment, a plot, at least three
> exercises, runs offline in under 90 s). Replace every TODO and delete this note."""


def _md(source: str, cell_id: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(source, id=cell_id)


def _code(source: str, cell_id: str, nbgrader: dict[str, object] | None = None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, id=cell_id)
    if nbgrader is not None:
        cell.metadata["nbgrader"] = {"schema_version": 3, "task": False, **nbgrader}
    return cell


def _exercise(number: int, intro: str, solution: str, tests: str, points: int) -> list[nbformat.NotebookNode]:
    grade_id = f"exercise_{number}"
    return [
        _md(f"### Exercise {number}\n\n{intro}", f"exercise-{number}"),
        _code(solution, grade_id, {"grade": False, "grade_id": grade_id, "locked": False, "solution": True}),
        _code(
            tests,
            f"{grade_id}_tests",
            {"grade": True, "grade_id": f"{grade_id}_tests", "locked": True, "points": points, "solution": False},
        ),
    ]


def lesson_skeleton(*, lab: str, number: str, title: str) -> nbformat.NotebookNode:
    cells = [
        _md(
            f"# {number} · {title}\n\n{_SKELETON_NOTE}\n\n"
            "**Objectives.** By the end of this lesson you can:\n\n"
            "- TODO: what a learner can do afterwards, in three to five verbs\n\n"
            f"The lab at the end, `labs/{lab}`, asks the same question of your code.",
            "title",
        ),
        _md(
            "## The shop so far\n\n"
            "TODO: where the Duck Shop stands, on its seeded data (`shopdata`, SQLite), in a few lines.",
            "context",
        ),
        _code(
            "import matplotlib.pyplot as plt\n\n"
            "lines = [[899, 2], [150, 3]]  # TODO: the lesson's own data: price_cents, quantity\n"
            "total = sum(price * quantity for price, quantity in lines)\n"
            "assert total == 2248  # every number the text quotes is asserted where it is printed\n"
            "print(f'{total} cents')",
            "context-code",
        ),
        _md(
            "## Break it: TODO\n\n"
            "TODO: make the failure happen in front of the learner (a race, a partial write, a retry...),\n"
            "and show the evidence: numbers, asserted.",
            "break-it",
        ),
        _code("# TODO: reproduce the failure, then print and assert its evidence", "break-it-code"),
        _md(
            "## Fix it\n\nTODO: the fix, and the same evidence again, now showing the failure is gone.",
            "fix-it",
        ),
        _code("# TODO: the fixed version, the same measurement, asserted", "fix-it-code"),
        _md(
            "## A picture\n\nTODO: a plot where a picture says more than a table.",
            "picture",
        ),
        _code(
            "fig, ax = plt.subplots(figsize=(6, 3))\n"
            "ax.bar([str(price) for price, _ in lines], [price * quantity for price, quantity in lines])\n"
            "ax.set(title='TODO: what the picture shows', xlabel='line (price in cents)', ylabel='cents')\n"
            "plt.show()",
            "picture-code",
        ),
        _md("## Exercises\n\nTODO: at least three, on the lesson's concepts.", "exercises"),
        *_exercise(
            1,
            "TODO: replace. Write `line_total(price_cents, quantity)`: the line's total in cents.",
            "def line_total(price_cents, quantity):\n"
            "    ### BEGIN SOLUTION\n"
            "    return price_cents * quantity\n"
            "    ### END SOLUTION",
            "assert line_total(899, 2) == 1798\nassert line_total(150, 0) == 0",
            1,
        ),
        *_exercise(
            2,
            "TODO: replace. Write `is_valid_quantity(quantity)`: whether a quantity is at least 1.",
            "def is_valid_quantity(quantity):\n    ### BEGIN SOLUTION\n    return quantity >= 1\n    ### END SOLUTION",
            "assert is_valid_quantity(1) and not is_valid_quantity(0) and not is_valid_quantity(-3)",
            1,
        ),
        *_exercise(
            3,
            "TODO: replace. Write `euros(cents)`: cents as a string of euros, `'22.48'` for `2248`.",
            'def euros(cents):\n    ### BEGIN SOLUTION\n    return f"{cents // 100}.{cents % 100:02d}"\n'
            "    ### END SOLUTION",
            'assert euros(2248) == "22.48" and euros(5) == "0.05"',
            1,
        ),
        _md(
            "## Summary and further reading\n\n"
            "- TODO: what to remember, in three lines\n"
            "- TODO: primary sources (RFCs, official documentation, `REFERENCES.md`)\n\n"
            f"## Your lab\n\nRead `labs/{lab}/README.md` (the contract), edit the code in `labs/{lab}/`, "
            f"and check yourself with `make test LAB={lab}` and `make grade LAB={lab}`.",
            "summary",
        ),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook
