"""Every lab: its manifest matches its hidden suite, and its scaffold and solution share a shape."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader import load_manifest
from grader._manifest import lab_ids
from grader._paths import LABS_DIR, REPO_ROOT, SOLUTIONS_DIR

LABS = lab_ids()


def collected_tests(suite_dir: Path, tmp_path: Path) -> set[str]:
    ini = tmp_path / "pytest.ini"
    ini.write_text("[pytest]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(suite_dir),
            "--collect-only",
            "-q",
            "-c",
            str(ini),
            "--rootdir",
            str(suite_dir),
            "-p",
            "no:cacheprovider",
        ],
        capture_output=True,
        text=True,
        timeout=120,
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
def test_the_readme_table_counts_the_hidden_suite(lab):
    manifest = load_manifest(lab)
    rows = [line for line in (REPO_ROOT / "README.md").read_text().splitlines() if line.startswith(f"| {lab[:2]} |")]
    assert len(rows) == 1 and f"`{lab}`" in rows[0], f"the README's table has one row for {lab}"
    assert f"| {len(manifest.tests)} tests, {len(manifest.parts)} parts" in rows[0], rows[0]


@pytest.mark.parametrize("lab", LABS)
def test_an_app_starts_within_the_first_tests_time(lab):
    limits = load_manifest(lab).limits
    assert limits.startup_timeout_s < limits.test_timeout_s, (
        "the first test waits for the learner's app: a hang at import must fail with the start-up message, "
        "not the test's timeout"
    )


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
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("lab", LABS)
def test_public_tests_pass_on_the_solution_and_fail_on_the_scaffold(lab):
    solution = public_tests(SOLUTIONS_DIR / lab)
    assert solution.returncode == 0, solution.stdout[-3000:]
    scaffold = public_tests(LABS_DIR / lab)
    assert scaffold.returncode == 1, scaffold.stdout[-3000:]
    assert " passed" not in scaffold.stdout.splitlines()[-1], "the scaffold should pass no public test"


# The lab READMEs state their contract as numbered rules, each written "**R1.**" where it is
# stated; the manifest's [rules] table names, for each rule, the tests that fail when it is
# broken. Every lab is traced.
RULE = re.compile(r"\*\*(R\d+)\.\*\*")


def readme_rules(lab: str) -> list[str]:
    return RULE.findall((LABS_DIR / lab / "README.md").read_text())


@pytest.mark.parametrize("lab", LABS)
def test_every_contract_rule_has_a_test_and_every_test_a_rule(lab):
    manifest = load_manifest(lab)
    stated = readme_rules(lab)
    assert len(stated) == len(set(stated)), f"a rule id is stated twice in the README: {stated}"
    assert stated == sorted(stated, key=lambda r: int(r[1:])), "rules are numbered in reading order"
    assert set(stated) == set(manifest.rules), (
        f"README rules without a [rules] entry: {sorted(set(stated) - set(manifest.rules))}; "
        f"[rules] entries the README does not state: {sorted(set(manifest.rules) - set(stated))}"
    )
    listed = {test.name for _, test in manifest.tests}
    for rule, tests in manifest.rules.items():
        assert tests, f"{rule} has no test that fails when it is broken"
        assert set(tests) <= listed, f"{rule} names tests the manifest does not list: {set(tests) - listed}"
    covered = {test for tests in manifest.rules.values() for test in tests}
    assert listed <= covered, f"tests that check no stated rule (state it in the README): {sorted(listed - covered)}"


HINT_REFERENCE = re.compile(r"\((README|labs/[^,()]+|course/[^,()]+), '([^']+)'\)")


def headings(path: Path) -> list[str]:
    text = path.read_text()
    if path.suffix == ".ipynb":
        notebook = json.loads(text)
        text = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    return [re.sub(r"[`*]", "", h).strip() for h in re.findall(r"^#+\s+(.*)$", text, re.MULTILINE)]


@pytest.mark.parametrize("lab", LABS)
def test_every_section_a_hint_cites_exists(lab):
    manifest = load_manifest(lab)
    missing = []
    for _, test in manifest.tests:
        for where, section in HINT_REFERENCE.findall(test.hint):
            path = LABS_DIR / lab / "README.md" if where == "README" else LABS_DIR.parent / where
            section = re.sub(r"[`*]", "", section)
            if not path.is_file() or not any(section in heading for heading in headings(path)):
                missing.append(f"{test.name}: ({where}, '{section}')")
    assert not missing, f"hints cite sections that do not exist: {missing}"
