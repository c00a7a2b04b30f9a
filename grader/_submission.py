"""A submission as the grader takes it: checked with ``lstat`` alone, then staged as a clean copy.

Whatever a learner hands in - a folder of any shape, from any machine - the sandbox only ever sees
a staged copy, made before any code runs:

* checked first, without reading a byte: at most ``MAX_FILES`` files, ``MAX_BYTES`` in all, folders
  ``MAX_DEPTH`` deep, names of at most 255 bytes; symbolic links and special files (FIFOs,
  sockets, devices) are refused with one line;
* source only: caches and compiled code (``__pycache__``, ``*.pyc``, native extension modules,
  eggs and wheels) are left out, so what runs is what a reviewer reads;
* normalised: regular files 0644 (0755 if executable), folders 0755, owned by whoever grades,
  so an honest learner's umask (files 0600, folders 0700) cannot make them unreadable to the
  sandbox's learner user; names of any bytes (colons, newlines, invalid UTF-8) are kept as
  they are;
* a file that changes while it is copied is copied at most to the size the check saw.

``tree_digest`` hashes a submission under the same rules (the batch cache key), so the key
covers exactly the files that can change a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ._errors import GraderError
from ._files import is_junk

MAX_FILES = 5_000
MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
MAX_NAME_BYTES = 255
# Compiled code a reviewer cannot read: never staged, never hashed.
COMPILED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".egg", ".whl")


def _skipped(name: bytes) -> bool:
    text = os.fsdecode(name)
    return is_junk(text) or text.endswith(COMPILED_SUFFIXES)


@dataclasses.dataclass(frozen=True)
class Entry:
    relative: bytes  # "/"-separated path below the submission's root
    is_dir: bool
    size: int
    executable: bool


def _describe(relative: bytes) -> str:
    return os.fsdecode(relative).encode("utf-8", "backslashreplace").decode("utf-8")


def scan(root: Path) -> list[Entry]:
    """Every entry to stage, checked with ``lstat`` only (nothing is opened); a one-line
    ``GraderError`` for a submission that breaks a rule."""
    root_bytes = os.fsencode(root)
    try:
        info = os.lstat(root_bytes)
    except OSError as exc:
        raise GraderError(f"cannot read the submission: {exc.strerror}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise GraderError("the submission is not a folder")
    entries: list[Entry] = []
    total = 0
    for entry in _walk(root_bytes, b"", 0):
        entries.append(entry)
        total += entry.size
        if len(entries) > MAX_FILES:
            raise GraderError(f"the submission has more than {MAX_FILES:,} files and folders")
        if total > MAX_BYTES:
            raise GraderError(f"the submission is larger than {MAX_BYTES // 2**20} MB")
    return entries


def _walk(root: bytes, relative: bytes, depth: int) -> Iterator[Entry]:
    if depth > MAX_DEPTH:
        raise GraderError(f"the submission's folders are nested more than {MAX_DEPTH} deep")
    directory = os.path.join(root, relative) if relative else root
    try:
        names = sorted(os.listdir(directory))
    except OSError as exc:
        raise GraderError(f"cannot read the submission folder {_describe(relative) or '.'}: {exc.strerror}") from None
    for name in names:
        if _skipped(name):
            continue
        path = relative + b"/" + name if relative else name
        if len(name) > MAX_NAME_BYTES:
            raise GraderError(f"a name in the submission is longer than {MAX_NAME_BYTES} bytes: {_describe(path)}")
        info = os.lstat(os.path.join(root, path))
        if stat.S_ISLNK(info.st_mode):
            raise GraderError(f"the submission holds a symbolic link ({_describe(path)}): hand in the files themselves")
        if stat.S_ISDIR(info.st_mode):
            yield Entry(path, is_dir=True, size=0, executable=True)
            yield from _walk(root, path, depth + 1)
        elif stat.S_ISREG(info.st_mode):
            yield Entry(path, is_dir=False, size=info.st_size, executable=bool(info.st_mode & 0o111))
        else:
            raise GraderError(f"the submission holds a special file ({_describe(path)}): only files and folders")


def stage(root: Path, target: Path) -> Path:
    """Copy ``root`` into the new folder ``target`` under the rules above; returns ``target``."""
    entries = scan(root)
    source, destination = os.fsencode(root), os.fsencode(target)
    os.mkdir(destination, 0o755)
    for entry in entries:
        path = os.path.join(destination, entry.relative)
        if entry.is_dir:
            os.mkdir(path)
            os.chmod(path, 0o755)
            continue
        with _open_regular(os.path.join(source, entry.relative), entry) as src, open(path, "xb") as dst:
            remaining = entry.size
            while remaining and (chunk := src.read(min(remaining, 1 << 20))):
                dst.write(chunk)
                remaining -= len(chunk)
        os.chmod(path, 0o755 if entry.executable else 0o644)
    os.chmod(destination, 0o755)
    return target


def _open_regular(path: bytes, entry: Entry):
    """Open without following a link that replaced the file since the scan."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise GraderError(f"cannot read {_describe(entry.relative)} from the submission: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise GraderError(f"{_describe(entry.relative)} changed while it was staged")
    return os.fdopen(fd, "rb")


def tree_digest(root: Path) -> tuple[str, int]:
    """sha256 over what ``stage`` would copy (relative paths, kinds, modes and bytes), checked
    the same way first; and the number of entries. A batch's cache key."""
    entries = scan(root)
    source = os.fsencode(root)
    digest = hashlib.sha256()
    for entry in entries:
        kind = b"d" if entry.is_dir else b"x" if entry.executable else b"f"
        digest.update(b"%d:%s %s\n" % (len(entry.relative), entry.relative, kind))
        if not entry.is_dir:
            content = hashlib.sha256()
            with _open_regular(os.path.join(source, entry.relative), entry) as f:
                remaining = entry.size
                while remaining and (chunk := f.read(min(remaining, 1 << 20))):
                    content.update(chunk)
                    remaining -= len(chunk)
            digest.update(content.hexdigest().encode() + b"\n")
    return digest.hexdigest(), len(entries)
