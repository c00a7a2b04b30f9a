"""Gradescope: export a lab's hidden suite as an autograder zip, and grade inside Gradescope.

``export_gradescope(lab=..., out=...)`` writes a deterministic zip (sorted entries, fixed
timestamps, normalised modes) holding ``setup.sh``, ``run_autograder``, ``requirements.txt``
(the grading image's pins), a ``README.md``, and the ``grader`` package with ONLY that lab's
hidden suite (no other lab's suite, no solutions, no scaffold, no ``__pycache__``, no image
build context). Gradescope unpacks it to ``/autograder/source``, runs ``setup.sh`` once as root
(network on), then ``run_autograder`` as root for every submission.

``run_autograder`` calls ``python -m grader._gradescope --lab LAB``, i.e. :func:`run_autograder`:
the same sandbox pipeline as the Docker backend, run in place. The supervisor
(``grader._sandbox.supervise``) runs as root, and learner code runs as uid/gid 10001, exactly
as in the grading container:

- the hidden suite stays in ``/autograder/source`` (made 0700 by ``setup.sh`` and again before
  every run; grading refuses to start if the learner's user could reach the suite);
- the submission is copied (symlinks kept as links, never followed) to a root-owned,
  read-only-for-the-learner directory, so learner code cannot change it or smuggle a link to
  the suite through the copy;
- records, logs and pid files are in a fresh 0700 directory with a random name; the results
  file is written by the trusted process only, after every learner process is killed, and
  replaces whatever was at that path;
- learner processes get ``RLIMIT_NPROC`` = the manifest's ``pids`` limit (root is exempt), so a
  fork bomb is contained; ``nice`` and the per-test and whole-run timeouts apply as usual;
- scores come from the runner's own per-test records via :func:`grader._scoring.score`, the
  same code as every other backend.

What it cannot do without the container's privileges (Gradescope gives none to create
namespaces or cgroups): **the network cannot be cut** (learner code can open connections; it
can only send what its own user can read), memory and CPU are limited only by Gradescope's own
container limits (set them in the assignment's autograder settings), and the root filesystem is
not read-only (learner code can write where uid 10001 may, e.g. ``/tmp``). Learner code can
also see the supervisor's command line in ``/proc`` (paths, no secrets). For grades that count
on Gradescope, this is defence in depth, not the container's guarantees.

``GRADESCOPE_ROOT`` overrides ``/autograder`` (for tests), ``GRADESCOPE_PYTHON`` the interpreter
``run_autograder`` starts (default: the venv ``setup.sh`` creates), ``GRADESCOPE_LEARNER_UID`` the
learner's uid and gid (tests: the sandbox kills every process of that uid, so a machine that
also runs grading containers needs another one). Run as a non-root user,
grading still works but without the separate learner user (it says so in its output).
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import stat
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from ._backends._common import GRACE_S, sandbox_config, supervise_here
from ._errors import GraderError
from ._manifest import Manifest, load_manifest
from ._paths import PACKAGE_DIR, REPO_ROOT
from ._results import Results
from ._scoring import SandboxRun, score

ROOT_ENV = "GRADESCOPE_ROOT"
PYTHON_ENV = "GRADESCOPE_PYTHON"
UID_ENV = "GRADESCOPE_LEARNER_UID"  # tests: a uid no grading container on the same machine uses
DEFAULT_ROOT = "/autograder"
VENV = "/opt/grader-venv"  # outside /autograder/source: learner processes run its python too
LEARNER_UID = LEARNER_GID = 10001  # as in the grading image
BACKEND = "gradescope"
NO_ISOLATION = "not running as root: learner code runs as the grader's own user and could read the hidden suite"

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_SKIP_NAMES = {"__pycache__", ".pytest_cache", ".DS_Store"}
_SKIP_SUFFIXES = (".pyc", ".pyo")
_SKIP_PACKAGE_DIRS = {"image"}  # the Docker build context; its pins are the archive's requirements.txt


# --- export --------------------------------------------------------------------------------


def export_gradescope(*, lab: str, out: str | Path | None = None, suites_dir: Path | None = None) -> Path:
    """Write the Gradescope autograder zip for ``lab`` to ``out`` (default ``build/gradescope-<lab>.zip``).

    The same inputs give the same bytes. Raises ``GraderError`` for an unknown lab.
    """
    manifest = load_manifest(lab, suites_dir)
    out = Path(out) if out is not None else REPO_ROOT / "build" / f"gradescope-{lab}.zip"
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (_setup_sh(manifest).encode(), 0o755),
        "run_autograder": (_run_autograder_sh(manifest).encode(), 0o755),
        "requirements.txt": ((PACKAGE_DIR / "image" / "requirements.txt").read_bytes(), 0o644),
        "README.md": (_readme(manifest).encode(), 0o644),
    }
    for name, path in _package_entries(manifest):
        entries[name] = (path.read_bytes(), 0o644)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 3  # Unix, so that unzip applies the modes below
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_bytes(buffer.getvalue())
    os.replace(temporary, out)
    return out


def _package_entries(manifest: Manifest) -> list[tuple[str, Path]]:
    """(name in the zip, file) for the grader package, with only this lab's suite under labs/."""
    entries = []
    for directory, subdirs, names in os.walk(PACKAGE_DIR):
        here = Path(directory)
        subdirs[:] = [d for d in subdirs if not _skipped(d) and not (here == PACKAGE_DIR and d in _SKIP_PACKAGE_DIRS)]
        if here == PACKAGE_DIR / "labs":
            subdirs[:] = []  # the one suite is added below, from wherever the manifest found it
            continue
        entries += [(f"grader/{(here / n).relative_to(PACKAGE_DIR).as_posix()}", here / n)
                    for n in names if not _skipped(n)]
    for directory, subdirs, names in os.walk(manifest.suite_dir):
        here = Path(directory)
        subdirs[:] = [d for d in subdirs if not _skipped(d)]
        entries += [(f"grader/labs/{manifest.id}/{(here / n).relative_to(manifest.suite_dir).as_posix()}", here / n)
                    for n in names if not _skipped(n)]
    return entries


def _skipped(name: str) -> bool:
    return name in _SKIP_NAMES or name.endswith(_SKIP_SUFFIXES)


def _setup_sh(manifest: Manifest) -> str:
    service_packages = {"postgres": "postgresql", "redis": "redis-server"}
    packages = " ".join(service_packages[s] for s in manifest.services)
    return f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (network on).
# Generated by `grader export gradescope {manifest.id}`: edit the course, not this file.
set -euo pipefail
ROOT="${{{ROOT_ENV}:-{DEFAULT_ROOT}}}"
SOURCE="$ROOT/source"
VENV={VENV}
SERVICE_PACKAGES="{packages}"  # from the lab manifest's [learner] services

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The grader needs Python >= 3.11 (requirements.txt is pinned for 3.11): the distribution's
# python3.11 where it has one (Ubuntu 22.04), else its python3 (checked below).
python=python3
if apt-cache show python3.11-venv >/dev/null 2>&1; then python=python3.11; fi
# shellcheck disable=SC2086 # SERVICE_PACKAGES is a list
apt-get install -y -qq --no-install-recommends "$python" "$python-venv" procps $SERVICE_PACKAGES >/dev/null
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \\
    || {{ echo "setup.sh: the grader needs Python >= 3.11, this image has $("$python" -V)" >&2; exit 1; }}

# The venv lives outside $SOURCE: learner code runs its python as the learner's user.
"$python" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check -r "$SOURCE/requirements.txt"
chmod -R a+rX "$VENV"

# The learner's user, as in the grading image (uid/gid {LEARNER_UID}).
getent group {LEARNER_GID} >/dev/null || groupadd --gid {LEARNER_GID} learner
getent passwd {LEARNER_UID} >/dev/null || useradd --uid {LEARNER_UID} --gid {LEARNER_GID} \\
    --home-dir /tmp --no-create-home --shell /usr/sbin/nologin learner

# Defence in depth: the hidden suite and the grader are root's alone.
chown -R root:root "$SOURCE"
chmod -R go-rwx "$SOURCE"
chmod 0700 "$SOURCE"
"""


def _run_autograder_sh(manifest: Manifest) -> str:
    return f"""#!/usr/bin/env bash
# Gradescope runs this as root for every submission (/autograder/submission); it writes
# /autograder/results/results.json. Generated by `grader export gradescope {manifest.id}`.
# GRADESCOPE_ROOT overrides /autograder, GRADESCOPE_PYTHON the interpreter (both for tests).
set -u
ROOT="${{{ROOT_ENV}:-{DEFAULT_ROOT}}}"
PYTHON="${{{PYTHON_ENV}:-{VENV}/bin/python}}"
mkdir -p "$ROOT/results"
cd "$ROOT/source" || exit 1
{ROOT_ENV}="$ROOT" PYTHONPATH="$ROOT/source" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -m grader._gradescope --lab {manifest.id}
status=$?
# A result must exist even if Python itself could not start.
if [ ! -s "$ROOT/results/results.json" ]; then
    printf '{{"score": 0, "output": "The autograder could not run (exit status %s); please tell your instructor.", "stdout_visibility": "hidden", "tests": []}}\\n' \\
        "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


def _readme(manifest: Manifest) -> str:
    services = ", ".join(manifest.services) or "none"
    limits = manifest.limits
    return f"""# Gradescope autograder: {manifest.id} ({manifest.title})

Generated by `grader export gradescope {manifest.id}`. Upload this zip as the assignment's
autograder, on an Ubuntu base image whose distribution has Python 3.11 (e.g. Ubuntu 22.04).
Students submit the files inside their `labs/{manifest.id}/` folder (so that `app/` is at the
top of the submission), not a zip of the folder itself.

- `setup.sh` (once, as root, with network) installs Python, the venv `{VENV}` from the pinned
  `requirements.txt`, the lab's services ({services}) and the learner's user (uid {LEARNER_UID}),
  and makes `/autograder/source` readable by root only.
- `run_autograder` (as root, per submission) runs `python -m grader._gradescope --lab {manifest.id}`:
  it grades `/autograder/submission` with the hidden suite in `grader/labs/{manifest.id}/` and
  always writes `/autograder/results/results.json`, even when grading fails. The full report and
  the grader's log go to stdout, which only instructors see.

Isolation: the course's container sandbox, minus what needs the container. The supervisor runs
as root; learner code runs as uid {LEARNER_UID} in its own processes, with the hidden suite, the
grader's records and the results out of its reach, at most {limits.pids} processes, and the
suite's time limits ({limits.timeout_s:g} s in all).

**Not enforced here:** the network is not cut (Gradescope grants no privileges to do so), memory
and CPU are limited only by Gradescope's own settings (the lab expects {limits.memory_mb} MB), and
the filesystem outside the grader's directories is not read-only. Set the autograder timeout
above {limits.timeout_s + GRACE_S:g} s.
"""


# --- grading inside Gradescope --------------------------------------------------------------


class GradescopeSandbox:
    """The sandbox pipeline in place, as root, with learner code as uid 10001 (a ``Backend``)."""

    name = BACKEND

    def __init__(self, *, learner_uid: int | None = LEARNER_UID, learner_gid: int | None = LEARNER_GID):
        self.learner_uid, self.learner_gid = learner_uid, learner_gid

    @property
    def isolated(self) -> bool:
        return self.learner_uid is not None

    def run(self, manifest: Manifest, submission: Path) -> SandboxRun:
        if self.isolated and not _hidden_from(manifest.suite_dir, self.learner_uid, self.learner_gid):
            raise GraderError(f"refusing to grade: the learner's user could read the hidden suite ({manifest.suite_dir})")
        root = Path(tempfile.mkdtemp(prefix="grader-gradescope-"))
        try:
            root.chmod(0o755)  # the learner reaches submission/ and scratch/, never private/
            private, scratch, staged = root / os.urandom(8).hex(), root / "scratch", root / "submission"
            private.mkdir(mode=0o700)
            scratch.mkdir()
            scratch.chmod(0o1777 if self.isolated else 0o700)  # sticky, like the container's /tmp
            _stage(submission, staged)
            cfg = sandbox_config(
                manifest, suite_dir=str(manifest.suite_dir), submission_dir=str(staged),
                private_dir=str(private), scratch_dir=str(scratch),
                learner_uid=self.learner_uid, learner_gid=self.learner_gid,
            )
            pids = manifest.limits.pids
            # Inherited by learner processes, counted per uid; root (supervisor, pytest) is exempt.
            limit = (lambda: resource.setrlimit(resource.RLIMIT_NPROC, (pids, pids))) if self.isolated else None
            return supervise_here(cfg, private, preexec_fn=limit)
        finally:
            shutil.rmtree(root, ignore_errors=True)


def _hidden_from(path: Path, uid: int, gid: int) -> bool:
    """Whether some directory on the way to ``path`` stops ``uid``/``gid`` from going through."""
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_uid == uid:
            continue
        bits = 0o010 if st.st_gid == gid else 0o001
        if not st.st_mode & bits:
            return True
    return False


def _stage(submission: Path, target: Path) -> None:
    """Copy the submission where the learner's user can read but not change it; links stay links."""
    if not submission.is_dir():
        raise GraderError(f"submission directory not found: {submission}")
    shutil.copytree(submission, target, symlinks=True, ignore=_special_files)
    for directory, subdirs, names in os.walk(target):
        os.chmod(directory, 0o755)
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                os.chmod(path, 0o755 if os.stat(path).st_mode & stat.S_IXUSR else 0o644)


def _special_files(directory: str, names: list[str]) -> set[str]:
    """FIFOs, sockets, devices: never opened (reading a FIFO would block the copy forever)."""
    special = set()
    for name in names:
        mode = os.lstat(os.path.join(directory, name)).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            special.add(name)
    return special


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
        results = score(manifest, run, backend=BACKEND, duration_s=time.monotonic() - started)
    except Exception as exc:  # a result file must exist whatever happened
        if not isinstance(exc, GraderError):
            traceback.print_exc()  # for instructors (stdout)
        message = str(exc) if isinstance(exc, GraderError) else f"the grader failed: {type(exc).__name__}: {exc}"
        results = Results.error(lab=lab, message=message, backend=BACKEND, duration_s=time.monotonic() - started,
                                max_score=manifest.max_score if manifest else 0.0)
    _write(results_dir / "results.json", json.dumps(gradescope_results(results, notes=notes), indent=2) + "\n")
    return results


def _write(path: Path, text: str) -> None:
    """Atomically, replacing whatever is at ``path`` (a symlink included) without following it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def gradescope_results(results: Results, *, notes: list[str] = ()) -> dict:
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
        tests.append({
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
        })
    return {
        "score": results.score,
        "execution_time": round(results.duration_s),
        "output": _summary(results, notes),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "lab": results.lab, "status": results.status, "message": results.message, "backend": results.backend,
            "max_score": results.max_score, "parts": [{"id": p.id, "title": p.title, "score": p.score,
                                                       "max_score": p.max_score} for p in results.parts],
        },
        "tests": tests,
    }


def _summary(results: Results, notes: list[str]) -> str:
    if results.status == "error":
        lines = [f"The autograder could not grade this submission: {results.message}"]
    else:
        lines = [f"{results.lab} - {results.title}: {results.score:g} / {results.max_score:g} points."
                 f" {results.message}"]
        lines += [f"  {p.title}: {p.score:g} / {p.max_score:g}" for p in results.parts]
    return "\n".join(lines + [f"Note: {n}" for n in notes])


def main(argv: list[str] | None = None) -> int:
    """``python -m grader._gradescope --lab LAB`` (what ``run_autograder`` runs)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader._gradescope")
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    results = run_autograder(lab=args.lab)
    from ._report import print_report  # for instructors: Gradescope keeps stdout from students

    print_report(results)
    if results.output:
        print("\n--- grader log (tail) ---\n" + results.output[-5000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
