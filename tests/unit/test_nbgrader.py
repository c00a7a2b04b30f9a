"""nbgrader's autograde steps: a lab cell's outputs (the part's tests for feedback, and a score
nbgrader reads as partial credit), and a notebook's outputs brought back from the sandbox."""

import dataclasses

import nbformat
import pytest
from nbgrader.utils import determine_grade

from grader import GraderError, PartResult, Results, TestResult, load_manifest
from grader._lessons import lab_cells
from grader._nbgrader import grading_broke, merge_executed, part_outputs, symlinks_problem
from grader._results import BackendName, Status
from grader._scoring import SandboxRun, score


def results(**overrides: object) -> Results:
    tests = (
        TestResult(name="test_ok", part="pricing", score=2, max_score=2, status=Status.PASSED),
        TestResult(
            name="test_rounding",
            part="pricing",
            score=0,
            max_score=4,
            status=Status.FAILED,
            message="got <script>alert(1)</script>",
            hint="round half up (lesson 00)",
        ),
        TestResult(name="test_health", part="health", score=3, max_score=3, status=Status.PASSED),
    )
    parts = (
        PartResult(id="pricing", title="Pricing", score=2, max_score=6),
        PartResult(id="health", title="Health", score=3, max_score=3),
    )
    example = Results(
        lab="00-hello",
        score=5,
        max_score=9,
        status=Status.FAILED,
        backend=BackendName.DOCKER,
        duration_s=1.0,
        parts=parts,
        tests=tests,
    )
    return dataclasses.replace(example, **overrides)  # type: ignore[arg-type]


def graded(outputs, points: float) -> float:
    cell = lab_cells(load_manifest("00-hello"))[1]
    cell.metadata.nbgrader["points"] = points
    cell.outputs = outputs
    return determine_grade(cell)[0]


def test_the_score_is_nbgraders_partial_credit_and_the_table_lists_only_that_part():
    outputs = part_outputs(results(), "pricing")
    assert graded(outputs, 6) == 2
    table = outputs[0].data["text/html"]
    assert "test_rounding" in table and "round half up (lesson 00)" in table and "test_health" not in table


def test_learner_text_is_escaped_in_the_feedback():
    table = part_outputs(results(), "pricing")[0].data["text/html"]
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_a_run_that_could_not_grade_scores_zero_and_says_why():
    failed = Results.error(lab="00-hello", message="Docker is not available", backend="none", max_score=17)
    outputs = part_outputs(failed, "pricing")
    assert graded(outputs, 6) == 0
    assert "Docker is not available" in outputs[0].data["text/plain"]


def test_lab_cells_are_locked_grade_cells_worth_each_parts_points():
    manifest = load_manifest("00-hello")
    cells = lab_cells(manifest)[1:-1]  # between the heading and the check
    assert [(c.metadata.nbgrader["grade_id"], c.metadata.nbgrader["points"]) for c in cells] == [
        (f"lab-{p.id}", p.points) for p in manifest.parts
    ]
    assert all(c.metadata.nbgrader["locked"] and not c.metadata.nbgrader["solution"] for c in cells)


# --- notebooks executed in the sandbox -------------------------------------------------------------


def notebook(*sources: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell("# a lesson")] + [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.v4.new_notebook(cells=cells)


def executed(nb: nbformat.NotebookNode, completed: int, stopped: str | None = None) -> str:
    """What the sandbox writes: ``nb`` with outputs for the first ``completed`` cells."""
    ran = nbformat.from_dict(nb)
    for index, cell in enumerate(ran.cells[:completed]):
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"cell {index}\n")]
            cell.execution_count = index
    ran.metadata["grader"] = {"completed": completed, "stopped": stopped}
    return nbformat.writes(ran)


def test_a_notebook_that_ran_to_the_end_gets_every_output():
    nb = notebook("print(1)", "print(2)")
    assert merge_executed(nb, executed(nb, 3)) is None
    assert [c.outputs[0].text for c in nb.cells[1:]] == ["cell 1\n", "cell 2\n"]
    assert [c.execution_count for c in nb.cells[1:]] == [1, 2]


def test_cells_after_the_kernel_stopped_get_an_error_with_the_reason():
    nb = notebook("print(1)", "import os; os._exit(1)", "print(3)")
    assert merge_executed(nb, executed(nb, 2, "the notebook stopped: DeadKernelError: Kernel died")) == (
        "the notebook stopped: DeadKernelError: Kernel died"
    )
    assert [o.output_type for o in nb.cells[1].outputs] == ["stream"]
    for cell in nb.cells[2:]:
        assert cell.outputs[-1].output_type == "error"
        assert "DeadKernelError" in cell.outputs[-1].evalue


def test_a_container_problem_wins_over_the_progress_it_saved():
    nb = notebook("x = 1", "big = bytearray(10**10)")
    reason = merge_executed(nb, executed(nb, 2), "the sandbox ran out of memory (2048 MB)")
    assert reason == "the sandbox ran out of memory (2048 MB)"
    assert nb.cells[1].outputs[0].text == "cell 1\n"
    assert "ran out of memory" in nb.cells[2].outputs[-1].evalue


def test_no_notebook_back_means_every_code_cell_scores_zero():
    nb = notebook("print(1)", "print(2)")
    cell = nb.cells[2]
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 2, "grade_id": "t", "schema_version": 3}
    assert merge_executed(nb, None, "the run did not finish within 920 s and was stopped").startswith("the run")
    assert determine_grade(cell)[0] == 0


def test_a_notebook_back_with_other_cells_is_refused():
    nb = notebook("print(1)")
    forged = nbformat.reads(executed(nb, 2), as_version=4)
    forged.cells[1].source = "print('something else')"
    with pytest.raises(GraderError, match="differ"):
        merge_executed(nb, nbformat.writes(forged))


def test_a_submission_with_symbolic_links_is_refused_in_one_line(tmp_path):
    submitted = tmp_path / "submitted" / "eve" / "00-welcome"
    (submitted / "lab" / "app").mkdir(parents=True)
    assert symlinks_problem(submitted) is None
    (submitted / "lab" / "app" / "pricing.py").symlink_to("/course/solutions/00-hello/app/pricing.py")
    (submitted / "lab" / "tests").symlink_to("/course/grader/suites/00-hello")
    assert symlinks_problem(submitted) == (
        "the submission holds symbolic links (lab/app/pricing.py, lab/tests): it is not graded, since nbgrader "
        "would copy what they point to - hand in the files themselves"
    )


def test_only_a_grader_that_broke_stops_autograde_a_submission_that_broke_the_sandbox_scores_zero():
    manifest = load_manifest("00-hello")
    learner_oom = score(
        manifest,
        SandboxRun(records=[], problem="the sandbox ran out of memory (768 MB)"),
        backend="docker",
        duration_s=1,
    )
    assert learner_oom.status == "error" and not grading_broke(learner_oom)
    assert graded(part_outputs(learner_oom, "pricing"), 6) == 0
    assert "ran out of memory" in part_outputs(learner_oom, "pricing")[0].data["text/plain"]
    docker_down = Results.error(lab="00-hello", message="Docker is not available", max_score=17)
    broken_off = Results.error(
        lab="00-hello",
        message="Docker failed while grading: 500 Server Error",
        backend="docker",
        max_score=17,
        infrastructure_failure=True,
    )
    assert grading_broke(docker_down) and grading_broke(broken_off)
