"""Every lab: its manifest matches its hidden suite, and its scaffold and solution share a shape."""

import subprocess
import sys
from pathlib import Path

import pytest

from grader import load_manifest
from grader._manifest import lab_ids
from grader._paths import LABS_DIR, SOLUTIONS_DIR

LABS = lab_ids()


def collected_tests(suite_dir: Path, tmp_path: Path) -> set[str]:
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(suite_dir), "--collect-only", "-q", "-c", str(ini),
         "--rootdir", str(suite_dir), "-p", "no:cacheprovider"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.split("[")[0] for line in result.stdout.splitlines() if "::" in line}


@pytest.mark.parametrize("lab", LABS)
def test_the_manifest_lists_exactly_the_hidden_tests(lab, tmp_path):
    manifest = load_manifest(lab)
    listed = [test.name for _, test in manifest.tests]
    assert len(listed) == len(set(listed)), "a test is listed twice"
    assert set(listed) == collected_tests(manifest.suite_dir, tmp_path)


@pytest.mark.parametrize("lab", LABS)
def test_the_lab_follows_the_course_standard(lab):
    manifest = load_manifest(lab)
    assert (LABS_DIR / lab / "README.md").is_file() and (SOLUTIONS_DIR / lab).is_dir()
    assert len(manifest.parts) >= 2
    assert len(manifest.tests) >= (6 if lab == "00-hello" else 20)
    if lab != "00-hello":
        assert len(manifest.parts) >= 4


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize("lab", LABS)
def test_scaffold_and_solution_have_the_same_layout(lab):
    assert files(LABS_DIR / lab) - {"README.md"} == files(SOLUTIONS_DIR / lab) - {"README.md"}


def public_tests(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
                          cwd=directory, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("lab", LABS)
def test_public_tests_pass_on_the_solution_and_fail_on_the_scaffold(lab):
    solution = public_tests(SOLUTIONS_DIR / lab)
    assert solution.returncode == 0, solution.stdout[-3000:]
    scaffold = public_tests(LABS_DIR / lab)
    assert scaffold.returncode == 1, scaffold.stdout[-3000:]
    assert " passed" not in scaffold.stdout.splitlines()[-1], "the scaffold should pass no public test"
