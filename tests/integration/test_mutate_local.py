"""`grader mutate` for real on the local backend: the demo lab's two mutants, graded with its
hidden suite (tests/suites/mutation-demo): one killed, one surviving, and the table says so."""

from pathlib import Path

import pytest

from grader._mutate import Outcome, mutate

pytest.importorskip("cosmic_ray", reason="the dev extra: pip install -e '.[dev]'")

SUITES = Path(__file__).parents[1] / "suites"
DEMO = Path(__file__).parents[1] / "submissions" / "mutation-demo"


@pytest.mark.slow
def test_the_demo_lab_kills_one_mutant_and_lets_one_survive(tmp_path):
    report = mutate(
        lab="mutation-demo",
        backend="local",
        suites_dir=SUITES,
        solution=DEMO / "solution",
        scaffold=DEMO / "scaffold",
        out=tmp_path / "MUTATION.md",
    )
    assert report.reach == {"app/flags.py::is_open": ("open",), "app/flags.py::is_verbose": ("verbose",)}
    assert {g.mutant.function: g.parts for g in report.graded} == {
        "is_open": {"open": Outcome.KILLED},
        "is_verbose": {"verbose": Outcome.SURVIVED},
    }
    text = (tmp_path / "MUTATION.md").read_text()
    assert "| open | 1 | 1 | 0 | 0 | 0 | 0 | 100% | 100% |\n| verbose | 1 | 0 | 0 | 1 | 1 | 0 | 0% | 0% |" in text
    assert "### `app/flags.py:core/ReplaceFalseWithTrue:0` (line 9, `is_verbose`" in text
    assert "+    return True" in text and "+    return False" not in text
