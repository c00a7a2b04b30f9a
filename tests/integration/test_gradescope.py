"""`grader export gradescope`: the archive, and grading with it in a simulated Gradescope layout.

The simulation: the zip unpacked into <root>/source (as Gradescope does; setup.sh is not run, it
uses apt), run_autograder copied to <root>/run_autograder, the submission in <root>/submission,
then run_autograder with GRADESCOPE_ROOT=<root> and GRADESCOPE_PYTHON=an interpreter with the
course's packages. <root> is a world-traversable directory under /tmp, like /autograder, so that
only the grader's own protections keep the learner's user out of the hidden suite.

As root, learner code really runs as its own user: uid TEST_UID here rather than the default 10001,
because the sandbox kills every process of the learner's uid and the Docker grader's containers on
this machine may be using 10001 at the same time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest
from expectations import FULL, PRICING_BROKEN, ZERO

from grader._gradescope import export_gradescope
from grader._gradescope.run import UID_ENV
from grader._paths import LABS_DIR, PACKAGE_DIR, SOLUTIONS_DIR, SUITE_AUTHORING_FILES

LAB = "00-hello"
TEST_UID = 10077
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="starting learner code as its own user needs root")

# What Gradescope's results.json accepts (its autograder specification), and nothing more.
GRADESCOPE_TOP = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
GRADESCOPE_TEST = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITY = {"visible", "hidden", "after_due_date", "after_published"}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    return export_gradescope(lab=LAB, out=tmp_path_factory.mktemp("export") / "autograder.zip")


@pytest.fixture(scope="session")
def gradescope_python():
    """An interpreter with the course's packages that the learner's user can run too.

    This venv's interpreter may sit where the learner cannot go (a pyenv under /root): then a venv of the
    system's python of the same version, in /tmp, that points at this venv's packages.
    """
    if not IS_ROOT or _runs_as_learner(sys.executable):
        yield sys.executable
        return
    base = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}", path="/usr/bin:/usr/local/bin")
    if base is None:
        pytest.skip(
            f"the learner's user cannot run {sys.executable}, and there is no system python "
            f"{sys.version_info.major}.{sys.version_info.minor} to bridge with"
        )
    bridge = Path(tempfile.mkdtemp(prefix="grader-gs-python-"))
    try:
        bridge.chmod(0o755)
        subprocess.run([base, "-m", "venv", "--without-pip", str(bridge / "venv")], check=True, capture_output=True)
        site = Path(sysconfig.get_paths()["purelib"])
        bridge_site = next((bridge / "venv").glob("lib/python3*/site-packages"))
        (bridge_site / "course-venv.pth").write_text(f"{site}\n")
        python = str(bridge / "venv" / "bin" / "python")
        if not _runs_as_learner(python):
            pytest.skip(
                f"the learner's user can run neither {sys.executable} nor a venv of {base} bridged to its packages"
            )
        yield python
    finally:
        shutil.rmtree(bridge, ignore_errors=True)


def _runs_as_learner(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-I", "-c", "import fastapi, uvicorn"],
            user=TEST_UID,
            group=TEST_UID,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=60,
        )
    except OSError:
        return False
    return result.returncode == 0


def unpack(archive: Path, target: Path) -> None:
    """As Gradescope's unzip: the modes stored in the archive are applied."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            path = zf.extract(info, target)
            os.chmod(path, (info.external_attr >> 16) & 0o777)


class Gradescope:
    """Simulated /autograder roots: ``prepare(submission)`` makes one, ``run(root)`` grades in it."""

    def __init__(self, archive: Path, python: str):
        self.archive, self.python, self.roots = archive, python, list[Path]()

    def prepare(self, submission: Path) -> Path:
        root = Path(tempfile.mkdtemp(prefix="grader-gs-root-"))
        self.roots.append(root)
        root.chmod(0o755)  # like /autograder: anyone may go through it
        unpack(self.archive, root / "source")
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
        shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("__pycache__"))
        return root

    def run(self, root: Path, **env) -> tuple[dict, subprocess.CompletedProcess]:
        process = subprocess.run(
            [str(root / "run_autograder")],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            env={
                **os.environ,
                "GRADESCOPE_ROOT": str(root),
                "GRADESCOPE_PYTHON": self.python,
                UID_ENV: str(TEST_UID),
                **env,
            },
        )
        results = root / "results" / "results.json"
        assert results.is_file(), process.stdout + process.stderr
        return json.loads(results.read_text()), process

    def grade(self, submission: Path, **env) -> tuple[dict, subprocess.CompletedProcess]:
        return self.run(self.prepare(submission), **env)


@pytest.fixture
def gradescope(archive, gradescope_python):
    simulated = Gradescope(archive, gradescope_python)
    yield simulated
    for root in simulated.roots:
        shutil.rmtree(root, ignore_errors=True)


def assert_gradescope_clean(data: dict) -> None:
    assert set(data) <= GRADESCOPE_TOP, set(data) - GRADESCOPE_TOP
    assert isinstance(data["score"], (int, float)) and isinstance(data["output"], str)
    assert data["visibility"] in VISIBILITY and data["stdout_visibility"] in VISIBILITY
    assert isinstance(data["tests"], list)
    for test in data["tests"]:
        assert set(test) <= GRADESCOPE_TEST, set(test) - GRADESCOPE_TEST
        assert test["status"] in ("passed", "failed")
        assert 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["name"], str) and isinstance(test["output"], str) and isinstance(test["number"], str)
        assert test["visibility"] in VISIBILITY
    assert data["score"] == sum(t["score"] for t in data["tests"])


def part_scores(data: dict) -> dict:
    return {part["id"]: part["score"] for part in data["extra_data"]["parts"]}


# --- the archive -----------------------------------------------------------------------------


def test_the_archive_holds_the_scripts_the_grader_and_only_this_labs_suite(archive):
    with zipfile.ZipFile(archive) as zf:
        infos = {info.filename: info for info in zf.infolist()}
        contents = {name: zf.read(name) for name in infos}
    names = sorted(infos)
    assert names == list(infos), "entries are sorted"
    assert {name.split("/")[0] for name in names} == {
        "setup.sh",
        "run_autograder",
        "requirements.txt",
        "README.md",
        "grader",
    }
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o777 == 0o755, script
    assert all(
        (info.external_attr >> 16) & 0o777 == 0o644
        for name, info in infos.items()
        if name not in ("setup.sh", "run_autograder")
    )
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos.values())
    suite = [name for name in names if name.startswith("grader/suites/")]
    assert suite and all(name.startswith(f"grader/suites/{LAB}/") for name in suite), suite
    expected_suite = sorted(
        p.relative_to(PACKAGE_DIR).as_posix()
        for p in (PACKAGE_DIR / "suites" / LAB).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.name not in SUITE_AUTHORING_FILES
    )
    assert [name.removeprefix("grader/") for name in suite] == expected_suite
    assert not [n for n in names if n.rsplit("/", 1)[-1] in SUITE_AUTHORING_FILES], "mutation reports stay home"
    assert "grader/_sandbox/supervise.py" in names and "grader/_gradescope/run.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.startswith(("solutions/", "labs/", "grader/image/", "grader/_new_lab/"))]
    assert contents["requirements.txt"] == (PACKAGE_DIR / "image" / "requirements.txt").read_bytes()
    # No file of the solution or the scaffold, under any name (the tiny shared ones aside).
    learner_files = {
        p.read_bytes()
        for base in (SOLUTIONS_DIR, LABS_DIR)
        for p in (base / LAB).rglob("*")
        if p.is_file() and p.stat().st_size > 200
    }
    assert not learner_files & set(contents.values())


def test_two_builds_give_the_same_bytes(archive, tmp_path):
    again = export_gradescope(lab=LAB, out=tmp_path / "again.zip")
    assert again.read_bytes() == archive.read_bytes()


def test_the_scripts_are_valid_bash_and_services_come_from_the_manifest(archive, tmp_path):
    unpack(archive, tmp_path / "hello")
    for script in ("setup.sh", "run_autograder"):
        result = subprocess.run(["bash", "-n", str(tmp_path / "hello" / script)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    hello = (tmp_path / "hello" / "setup.sh").read_text()
    assert 'SERVICE_PACKAGES=""' in hello and '-r "$SOURCE/requirements.txt"' in hello and "chmod 0700" in hello
    unpack(export_gradescope(lab="01-databases", out=tmp_path / "db.zip"), tmp_path / "db")
    assert 'SERVICE_PACKAGES="postgresql"' in (tmp_path / "db" / "setup.sh").read_text()
    assert f"--lab {LAB}" in (tmp_path / "hello" / "run_autograder").read_text()


def test_the_cli_exports_and_rejects_an_unknown_lab(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "grader", "export", "gradescope", LAB, "--out", str(tmp_path / "a.zip")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and ok.stdout.strip() == str(tmp_path / "a.zip"), ok.stderr
    assert zipfile.is_zipfile(tmp_path / "a.zip")
    bad = subprocess.run(
        [sys.executable, "-m", "grader", "export", "gradescope", "99-nope"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and bad.stderr.startswith("grader: unknown lab '99-nope'"), bad.stderr


# --- grading with it -------------------------------------------------------------------------


def test_the_solution_gets_full_marks(gradescope):
    data, process = gradescope.grade(SOLUTIONS_DIR / LAB)
    assert_gradescope_clean(data)
    assert (data["score"], data["extra_data"]["max_score"]) == (17, 17), data["output"]
    assert part_scores(data) == FULL
    assert len(data["tests"]) == 17 and all(t["status"] == "passed" for t in data["tests"])
    assert data["extra_data"]["backend"] == "gradescope"
    assert ("not running as root" in data["output"]) is not IS_ROOT
    assert "Full marks" in process.stdout  # the report, for instructors


def test_the_scaffold_scores_zero(gradescope):
    data, _ = gradescope.grade(LABS_DIR / LAB)
    assert_gradescope_clean(data)
    assert data["score"] == 0 and part_scores(data) == ZERO
    assert all(t["status"] == "failed" and "Hint: " in t["output"] for t in data["tests"])


@needs_root
def test_the_hidden_suite_is_unreadable_to_learner_code(gradescope, make_submission):
    data, _ = gradescope.grade(make_submission(LAB, "solution", "hostile-read-tests"))
    assert part_scores(data) == PRICING_BROKEN
    text = json.dumps(data)
    assert "LEAKED" not in text and "def test_" not in text and "GRADER_SANDBOX_CONFIG" not in text


# Aimed at the Gradescope layout: the real paths of the simulated /autograder.
HOSTILE_PRICING = """\
import glob, os

def quote_total(unit_price_cents: int, quantity: int) -> int:
    for target in [{results!r}, __file__]:  # forge the results, or change the submission under test
        try:
            with open(target, "a") as f:
                f.write("FORGED")
        except OSError:
            continue
        raise RuntimeError("FORGED " + target)
    here = os.path.dirname(__file__)  # suite_link.py: a symlink into the suite, in the submission
    for path in [here + "/suite_link.py", {suite!r} + "/test_pricing.py",
                 *glob.glob({source!r} + "/**/*.py", recursive=True), f"/proc/{{os.getppid()}}/environ"]:
        try:
            with open(path) as f:
                text = f.read()
        except OSError as exc:  # PermissionError where the sandbox holds
            error = exc
            continue
        raise RuntimeError("LEAKED " + path + " " + text)
    raise error
"""


@needs_root
def test_learner_code_can_neither_read_the_suite_nor_write_results_or_its_own_code(gradescope):
    root = gradescope.prepare(SOLUTIONS_DIR / LAB)
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text("{}")
    source = root / "source"
    (root / "submission" / "app" / "pricing.py").write_text(
        HOSTILE_PRICING.format(
            results=str(root / "results" / "results.json"),
            source=str(source),
            suite=str(source / "grader" / "suites" / LAB),
        )
    )
    data, _ = gradescope.run(root)
    assert part_scores(data) == PRICING_BROKEN
    pricing = [t for t in data["tests"] if t["tags"] == ["pricing"]]
    assert pricing and all("Permission denied" in t["output"] for t in pricing), [t["output"][:300] for t in pricing]
    text = json.dumps(data)
    assert "LEAKED" not in text and "FORGED" not in text and "def test_" not in text


@needs_root
def test_a_submission_holding_a_link_is_refused_in_one_line(gradescope):
    root = gradescope.prepare(SOLUTIONS_DIR / LAB)
    suite_file = root / "source" / "grader" / "suites" / LAB / "test_pricing.py"
    (root / "submission" / "app" / "suite_link.py").symlink_to(suite_file)
    data, _ = gradescope.run(root)
    assert data["score"] == 0 and "symbolic link (app/suite_link.py)" in data["output"]
    assert "def test_" not in json.dumps(data)


def test_a_result_exists_even_when_python_cannot_start(gradescope):
    data, process = gradescope.grade(SOLUTIONS_DIR / LAB, GRADESCOPE_PYTHON="/nonexistent/python")
    assert process.returncode == 0
    assert data["score"] == 0 and data["tests"] == [] and "could not run" in data["output"]
    assert_gradescope_clean({**data, "visibility": "visible"})


def test_a_missing_submission_is_an_error_result(archive, gradescope_python, tmp_path):
    root = tmp_path / "autograder"
    unpack(archive, root / "source")
    process = subprocess.run(
        [str(root / "source" / "run_autograder")],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "GRADESCOPE_ROOT": str(root),
            "GRADESCOPE_PYTHON": gradescope_python,
            UID_ENV: str(TEST_UID),
        },
    )
    data = json.loads((root / "results" / "results.json").read_text())
    assert_gradescope_clean(data)
    assert data["score"] == 0 and data["extra_data"]["status"] == "error", process.stdout + process.stderr
    assert "submission directory not found" in data["output"]
