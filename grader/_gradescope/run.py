"""Grading inside Gradescope: ``run_autograder`` grades ``/autograder/submission`` and always writes
``/autograder/results/results.json`` in Gradescope's format.

The templates in ``templates/`` name ``GRADESCOPE_ROOT`` and ``GRADESCOPE_PYTHON`` literally.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._backends._common import LEARNER_UID
from .._backends.gradescope import GradescopeSandbox
from .._errors import GraderError
from .._files import write_atomically
from .._manifest import load_manifest
from .._results import BackendName, Results
from .._scoring import score

ROOT_ENV = "GRADESCOPE_ROOT"
UID_ENV = "GRADESCOPE_LEARNER_UID"  # tests: a uid no grading container on the same machine uses
DEFAULT_ROOT = "/autograder"
NO_ISOLATION = "not running as root: learner code runs as the grader's own user and could read the hidden suite"


def run_autograder(*, lab: str, root: str | Path | None = None) -> Results:
    """Grade ``<root>/submission`` and write ``<root>/results/results.json`` in Gradescope's format.

    ``root`` defaults to ``$GRADESCOPE_ROOT`` or ``/autograder``. Never raises for a bad
    submission or a failed run: the results file always exists (an error result scores 0).
    """
    started = time.monotonic()
    root = Path(root or os.environ.get(ROOT_ENV) or DEFAULT_ROOT)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    is_root = os.geteuid() == 0
    notes = [] if is_root else [NO_ISOLATION]
    manifest = None
    try:
        if is_root:
            results_dir.chmod(0o755)
            if (root / "source").is_dir():
                (root / "source").chmod(0o700)  # setup.sh did; a re-extracted source would not be
        manifest = load_manifest(lab)
        uid = int(os.environ.get(UID_ENV) or LEARNER_UID) if is_root else None
        sandbox = GradescopeSandbox(learner_uid=uid, learner_gid=uid)
        run = sandbox.run(manifest, root / "submission")
        results = score(manifest, run, backend=BackendName.GRADESCOPE, duration_s=time.monotonic() - started)
    except Exception as exc:  # a result file must exist whatever happened
        if not isinstance(exc, GraderError):
            traceback.print_exc()  # for instructors (stdout)
        message = str(exc) if isinstance(exc, GraderError) else f"the grader failed: {type(exc).__name__}: {exc}"
        results = Results.error(
            lab=lab,
            message=message,
            backend=BackendName.GRADESCOPE,
            duration_s=time.monotonic() - started,
            max_score=manifest.max_score if manifest else 0.0,
        )
    text = json.dumps(gradescope_results(results, notes=notes), indent=2) + "\n"
    write_atomically(results_dir / "results.json", text)  # replaces even a symlink planted there
    return results


def gradescope_results(results: Results, *, notes: Sequence[str] = ()) -> dict[str, Any]:
    """``results`` as Gradescope's ``results.json``: only the keys Gradescope documents, test
    status only "passed"/"failed", the course's own fields under ``extra_data``."""
    parts = [p.id for p in results.parts]
    seen: dict[str, int] = {}
    tests = []
    for test in results.tests:
        output = ""
        if test.status != "passed":
            output = f"{test.message}\n\nHint: {test.hint}"
            if test.output:
                output += f"\n\n{test.output}"
        seen[test.part] = seen.get(test.part, 0) + 1
        part_no = parts.index(test.part) + 1 if test.part in parts else 0
        tests.append(
            {
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.status == "passed" else "failed",
                "name": test.name,
                "number": f"{part_no}.{seen[test.part]}",
                "output": output[:10000],
                "output_format": "text",
                "tags": [test.part],
                "visibility": "visible",
                "extra_data": {"part": test.part, "status": test.status, "duration_s": test.duration_s},
            }
        )
    return {
        "score": results.score,
        "execution_time": round(results.duration_s),
        "output": _summary(results, notes),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "lab": results.lab,
            "status": results.status,
            "message": results.message,
            "backend": results.backend,
            "max_score": results.max_score,
            "parts": [
                {"id": p.id, "title": p.title, "score": p.score, "max_score": p.max_score} for p in results.parts
            ],
        },
        "tests": tests,
    }


def _summary(results: Results, notes: Sequence[str]) -> str:
    if results.status == "error":
        lines = [f"The autograder could not grade this submission: {results.message}"]
    else:
        lines = [
            f"{results.lab} - {results.title}: {results.score:g} / {results.max_score:g} points. {results.message}"
        ]
        lines += [f"  {p.title}: {p.score:g} / {p.max_score:g}" for p in results.parts]
    return "\n".join([*lines, *(f"Note: {n}" for n in notes)])


def main(argv: list[str] | None = None) -> int:
    """``python -m grader._gradescope --lab LAB`` (what ``run_autograder`` runs)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader._gradescope")
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    results = run_autograder(lab=args.lab)
    from .._report import print_report  # for instructors: Gradescope keeps stdout from students

    print_report(results)
    if results.log:
        print("\n--- grader log (tail) ---\n" + results.log[-5000:])
    return 0
