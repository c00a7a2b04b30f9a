"""Submissions on the wire: a staged copy as a gzipped tarball, named by its sha256.

The coordinator stages a submission exactly as a local grading would (``grader._submission``:
checked with lstat, sources only, normal modes), packs it reproducibly (sorted names, no
owners, no times) and puts it in Redis under ``grader:blob:<sha256>`` once. A worker looks in
its own cache folder first and fetches only what it lacks, checks the hash of what it got, and
unpacks it (folders and regular files only, every name inside); ``grade()`` then stages that copy again.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import redis

from .._errors import GraderError, InfrastructureError
from .._files import write_atomically
from .._submission import stage
from .broker import RESULT_TTL_S

PREFIX = "grader:blob:"


def pack(submission: Path) -> tuple[str, bytes]:
    """(sha256, gzipped tar) of the staged submission; the same bytes for the same files."""
    with tempfile.TemporaryDirectory(prefix="grader-pack-") as tmp:
        staged = stage(submission, Path(tmp) / "submission")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for directory, folders, files in os.walk(staged):
                folders.sort()
                for name in sorted([*folders, *files]):
                    path = Path(directory, name)
                    info = tar.gettarinfo(str(path), arcname=path.relative_to(staged).as_posix())
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    info.mtime = 0
                    if info.isfile():
                        with path.open("rb") as f:
                            tar.addfile(info, f)
                    else:
                        tar.addfile(info)
    data = gzip.compress(buffer.getvalue(), compresslevel=6, mtime=0)
    return hashlib.sha256(data).hexdigest(), data


def upload(client: redis.Redis, sha: str, data: bytes) -> None:
    """Store the blob unless it is there already (then only its expiry is renewed)."""
    if not client.set(PREFIX + sha, data, nx=True, ex=RESULT_TTL_S):
        client.expire(PREFIX + sha, RESULT_TTL_S)


def fetch(client: redis.Redis, sha: str, cache: Path) -> tuple[bytes, bool]:
    """The blob's bytes and whether they came from the broker (False: this worker had them)."""
    cached = cache / f"{sha}.tar.gz"
    try:
        data = cached.read_bytes()
        if hashlib.sha256(data).hexdigest() == sha:
            return data, False
    except OSError:
        pass
    got = client.get(PREFIX + sha)
    if not isinstance(got, bytes):
        raise InfrastructureError(f"the submission {sha[:12]} is no longer in the broker; run the batch again")
    if hashlib.sha256(got).hexdigest() != sha:
        raise InfrastructureError(f"the submission {sha[:12]} arrived damaged (its sha256 differs)")
    cache.mkdir(parents=True, exist_ok=True)
    write_atomically(cached, got)
    return got, True


def unpack(data: bytes, target: Path) -> Path:
    """Unpack into the new folder ``target``: folders and regular files only, every name inside
    it, modes 0755/0644 (0755 if executable); returns ``target``. (By hand, not tarfile's ``data``
    filter: Debian 12's Python 3.11.2 predates it.)"""
    target.mkdir()
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as tar:
            for member in tar:
                path = _inside(target, member.name)
                if member.isdir():
                    path.mkdir(mode=0o755, parents=True, exist_ok=True)
                elif member.isfile():
                    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    assert source is not None  # a regular file has content
                    with source, path.open("xb") as out:
                        shutil.copyfileobj(source, out)
                    path.chmod(0o755 if member.mode & 0o111 else 0o644)
                else:
                    raise GraderError(f"the packed submission holds {member.name!r}, neither a file nor a folder")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InfrastructureError(f"could not unpack the submission: {exc}") from None
    return target


def _inside(root: Path, name: str) -> Path:
    relative = PurePosixPath(name)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise GraderError(f"the packed submission holds a path outside it: {name!r}")
    return root.joinpath(*relative.parts)
