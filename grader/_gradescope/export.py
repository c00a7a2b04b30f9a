"""``export_gradescope``: a lab's hidden suite as a Gradescope autograder zip, the same bytes for the
same inputs. The shell scripts and README in it are ``templates/``, with ``@@{name}`` placeholders
(shell scripts are full of ``$``) filled from the lab's manifest.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

from .._backends._common import GRACE_S, LEARNER_GID, LEARNER_UID
from .._files import is_junk, render_template, write_atomically
from .._manifest import Manifest, load_manifest
from .._paths import PACKAGE_DIR, REPO_ROOT, SUITE_AUTHORING_FILES

TEMPLATES = Path(__file__).with_name("templates")
VENV = "/opt/grader-venv"  # outside /autograder/source: learner processes run its python too
SERVICE_PACKAGES = {"postgres": "postgresql", "redis": "redis-server"}  # Debian/Ubuntu packages
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
# The Docker build context (its pins are the archive's requirements.txt) and the authoring tools' templates.
_SKIP_PACKAGE_DIRS = {"image", "_new_lab"}


def export_gradescope(*, lab: str, out: str | Path | None = None, suites_dir: Path | None = None) -> Path:
    """Write the Gradescope autograder zip for ``lab`` to ``out`` (default ``build/gradescope-<lab>.zip``).

    The same inputs give the same bytes. Raises ``GraderError`` for an unknown lab.
    """
    manifest = load_manifest(lab, suites_dir)
    out = Path(out) if out is not None else REPO_ROOT / "build" / f"gradescope-{lab}.zip"
    entries: dict[str, tuple[bytes, int]] = {
        "setup.sh": (_render("setup.sh", manifest).encode(), 0o755),
        "run_autograder": (_render("run_autograder", manifest).encode(), 0o755),
        "requirements.txt": ((PACKAGE_DIR / "image" / "requirements.txt").read_bytes(), 0o644),
        "README.md": (_render("README.md", manifest).encode(), 0o644),
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
    write_atomically(out, buffer.getvalue())
    return out


def _package_entries(manifest: Manifest) -> list[tuple[str, Path]]:
    """(name in the zip, file) for the grader package, with only this lab's suite under suites/."""
    entries = []
    for directory, subdirs, names in os.walk(PACKAGE_DIR):
        here = Path(directory)
        subdirs[:] = [d for d in subdirs if not is_junk(d) and not (here == PACKAGE_DIR and d in _SKIP_PACKAGE_DIRS)]
        if here == PACKAGE_DIR / "suites":
            subdirs[:] = []  # the one suite is added below, from wherever the manifest found it
            continue
        entries += [
            (f"grader/{(here / n).relative_to(PACKAGE_DIR).as_posix()}", here / n) for n in names if not is_junk(n)
        ]
    for directory, subdirs, names in os.walk(manifest.suite_dir):
        here = Path(directory)
        subdirs[:] = [d for d in subdirs if not is_junk(d)]
        entries += [
            (f"grader/suites/{manifest.id}/{(here / n).relative_to(manifest.suite_dir).as_posix()}", here / n)
            for n in names
            if not is_junk(n) and not (here == manifest.suite_dir and n in SUITE_AUTHORING_FILES)
        ]
    return entries


def _render(name: str, manifest: Manifest) -> str:
    limits = manifest.limits
    values = {
        "lab": manifest.id,
        "title": manifest.title,
        "venv": VENV,
        "learner_uid": LEARNER_UID,
        "learner_gid": LEARNER_GID,
        "service_packages": " ".join(SERVICE_PACKAGES[s] for s in manifest.services),
        "services": ", ".join(manifest.services) or "none",
        "pids": limits.pids,
        "timeout_s": f"{limits.timeout_s:g}",
        "memory_mb": limits.memory_mb,
        "autograder_timeout_s": f"{limits.timeout_s + GRACE_S:g}",
    }
    return render_template((TEMPLATES / name).read_text(), values)
