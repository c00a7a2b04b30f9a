"""The public API is what `grader/__init__.py` exports, and nothing else by accident."""

import grader


def test_grader_exports_are_pinned():
    assert grader.__all__ == [
        "SCHEMA_VERSION",
        "BatchSummary",
        "GraderError",
        "Limits",
        "Manifest",
        "Part",
        "PartResult",
        "Results",
        "TestResult",
        "TestSpec",
        "batch",
        "check",
        "export_gradescope",
        "grade",
        "labs",
        "load_manifest",
        "print_report",
        "progress",
        "release",
        "write_junit",
    ]
    for name in grader.__all__:
        assert hasattr(grader, name), name


def test_private_modules_stay_private():
    public_submodules = {"testing"}  # grader.testing: the API for hidden-suite authors
    public_modules = [
        name for name in vars(grader) if not name.startswith("_") and name not in {*grader.__all__, *public_submodules}
    ]
    assert public_modules == [], f"unexpected public names: {public_modules}"


def test_suite_authors_api_is_pinned():
    import grader.testing

    assert grader.testing.__all__ == [
        "Database",
        "LearnerApp",
        "LearnerCrash",
        "LearnerError",
        "LearnerLib",
        "LearnerProcess",
        "PortWait",
        "SandboxConfig",
        "TimeBudget",
        "as_reader",
        "call",
        "fail",
        "free_port",
        "running",
        "stop_learner_code",
        "timed",
        "wait_for_port",
    ]
    for name in grader.testing.__all__:
        assert hasattr(grader.testing, name), name


def test_no_hidden_suite_imports_a_private_module():
    import re

    from grader._paths import SUITES_DIR

    private = re.compile(r"^\s*(from|import)\s+grader\._", re.MULTILINE)
    offenders = [str(p.relative_to(SUITES_DIR)) for p in SUITES_DIR.rglob("*.py") if private.search(p.read_text())]
    assert offenders == [], f"hidden suites must use grader.testing, not private modules: {offenders}"


def test_the_sandbox_side_loads_none_of_the_hosts_packages():
    """``grader`` is lazy: a hidden suite's run (grader.testing, the plugin, the supervisor) must not
    need what only the host uses, so the grading image does without it."""
    import subprocess
    import sys

    host_side = ("docker", "typer", "nbgrader", "nbformat", "grader._api", "grader._report", "grader._batch")
    code = (  # (rich is no longer on the list: httpx loads it when it is installed)
        "import sys, grader, grader.testing, grader._sandbox.plugin, grader._sandbox.supervise\n"
        f"print(sorted(m for m in {host_side!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    assert grader.grade.__module__ == "grader._api"  # and the public names still load on first use
