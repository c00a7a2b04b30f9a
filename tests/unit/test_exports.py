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
        "export_gradescope",
        "grade",
        "labs",
        "load_manifest",
        "print_report",
        "release",
        "write_junit",
    ]
    for name in grader.__all__:
        assert hasattr(grader, name), name


def test_private_modules_stay_private():
    public_modules = [name for name in vars(grader) if not name.startswith("_") and name not in grader.__all__]
    assert public_modules == [], f"unexpected public names: {public_modules}"
