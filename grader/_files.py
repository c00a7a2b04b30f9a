"""Small file helpers the grader shares: what is never part of a submission or a package, writing
a file so that a reader never sees half of it, and filling in template files. Standard library only
(the sandbox uses it).
"""

from __future__ import annotations

import os
import shutil
import string
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

# Caches and editor litter: never graded, hashed, packaged or released.
JUNK_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ipynb_checkpoints", ".DS_Store"})
JUNK_SUFFIXES = (".pyc", ".pyo")


def is_junk(name: str) -> bool:
    """Whether a file or folder of this name is a cache or editor litter."""
    return name in JUNK_NAMES or name.endswith(JUNK_SUFFIXES)


def ignore_junk(*patterns: str) -> Callable[[str, Iterable[str]], set[str]]:
    """A ``shutil.copytree`` ``ignore=`` that skips junk, and whatever ``patterns`` also name."""
    extra = shutil.ignore_patterns(*patterns)

    def ignore(directory: str, names: Iterable[str]) -> set[str]:
        names = list(names)
        return {n for n in names if is_junk(n)} | set(extra(directory, names))

    return ignore


def write_atomically(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write ``path`` through a temporary file beside it, then rename: a reader (or a crash) sees
    the old file or the new one, never half of one. Whatever was at ``path`` - a symbolic link
    included - is replaced, not followed. Safe from several threads at once."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Template(string.Template):
    delimiter = "@@"  # templates hold shell scripts and Python, full of ``$`` and ``{}``


def render_template(text: str, values: Mapping[str, object]) -> str:
    """``text`` with every ``@@{name}`` replaced by ``values[name]``; KeyError for a name not given."""
    return _Template(text).substitute(values)
