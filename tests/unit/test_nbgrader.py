"""A lab cell's outputs: the part's tests for feedback, and a score nbgrader reads as partial credit."""

from nbgrader.utils import determine_grade

from grader import PartResult, Results, TestResult, load_manifest
from grader._nbgrader import lab_cells, part_outputs


def results(**overrides) -> Results:
    tests = (
        TestResult(name="test_ok", part="pricing", score=2, max_score=2, status="passed"),
        TestResult(name="test_rounding", part="pricing", score=0, max_score=4, status="failed",
                   message="got <script>alert(1)</script>", hint="round half up (lesson 00)"),
        TestResult(name="test_health", part="health", score=3, max_score=3, status="passed"),
    )
    parts = (PartResult(id="pricing", title="Pricing", score=2, max_score=6),
             PartResult(id="health", title="Health", score=3, max_score=3))
    fields = dict(lab="00-hello", score=5, max_score=9, status="failed", backend="docker", duration_s=1.0,
                  parts=parts, tests=tests)
    return Results(**(fields | overrides))


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
    cells = lab_cells(manifest)[1:]
    assert [(c.metadata.nbgrader["grade_id"], c.metadata.nbgrader["points"]) for c in cells] == [
        (f"lab-{p.id}", p.points) for p in manifest.parts]
    assert all(c.metadata.nbgrader["locked"] and not c.metadata.nbgrader["solution"] for c in cells)
