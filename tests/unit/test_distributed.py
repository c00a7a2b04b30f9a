"""`grader batch --broker`'s pieces without a broker: the delivery settings, URLs, blobs."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile

import pytest

from grader import GraderError
from grader._distributed import blobs
from grader._distributed.broker import check_url, check_visibility, deadline_s, make_app, redact
from grader._distributed.worker import worker_name
from grader._paths import SOLUTIONS_DIR, SUITES_DIR


def test_delivery_is_at_least_once_and_json_only():
    conf = make_app("redis://127.0.0.1:1/0", visibility_timeout_s=1234).conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
    assert (conf.task_serializer, conf.result_serializer, conf.accept_content) == ("json", "json", ["json"])
    assert conf.broker_transport_options["visibility_timeout"] == 1234


def test_the_default_visibility_timeout_is_above_every_labs_deadline():
    from grader._api import labs

    for manifest in labs(suites_dir=SUITES_DIR):
        check_visibility(3600, manifest)
        with pytest.raises(GraderError, match=f"not above {manifest.id}'s deadline"):
            check_visibility(deadline_s(manifest), manifest)


def test_urls():
    assert check_url("redis://h:6379/0") == "redis://h:6379/0"
    assert check_url("rediss://h:6380/1")
    with pytest.raises(GraderError, match=r"^--broker must be a Redis URL"):
        check_url("amqp://guest@h//")
    assert redact("redis://:s3cret@h:6379/0") == "redis://:***@h:6379/0"
    assert redact("redis://user:s3cret@h/0") == "redis://user:***@h/0"
    assert worker_name("w1@box") == "w1@box" and worker_name("w1").startswith("w1@")


def test_a_blob_is_the_staged_submission_named_by_its_hash(tmp_path):
    lab = SOLUTIONS_DIR / "00-hello"
    sha, data = blobs.pack(lab)
    assert blobs.pack(lab) == (sha, data), "the same files, the same bytes"
    copy = tmp_path / "copy"
    shutil.copytree(lab, copy)
    (copy / "app" / "__pycache__").mkdir(exist_ok=True)
    (copy / "app" / "__pycache__" / "x.pyc").write_bytes(b"junk")
    os.utime(copy / "app", (0, 0))
    assert blobs.pack(copy)[0] == sha, "caches and times are not part of a submission"
    (copy / "NOTE.txt").write_text("mine\n")
    assert blobs.pack(copy)[0] != sha
    unpacked = blobs.unpack(data, tmp_path / "unpacked")
    assert sorted(p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*")) == sorted(
        p.relative_to(lab).as_posix() for p in lab.rglob("*") if "__pycache__" not in p.parts
    )
    assert blobs.pack(unpacked) == (sha, data), "unpacked, it is the same submission"


def _tarball(*members: tarfile.TarInfo) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return gzip.compress(buffer.getvalue())


@pytest.mark.parametrize(
    ("name", "kind", "why"),
    [
        ("app", tarfile.SYMTYPE, "neither a file nor a folder"),
        ("fifo", tarfile.FIFOTYPE, "neither a file nor a folder"),
        ("../escape.py", tarfile.REGTYPE, "a path outside it"),
        ("/etc/escape.py", tarfile.REGTYPE, "a path outside it"),
    ],
)
def test_a_blob_holding_anything_but_files_and_folders_inside_is_refused(tmp_path, name, kind, why):
    member = tarfile.TarInfo(name)
    member.type, member.linkname = kind, "/etc" if kind == tarfile.SYMTYPE else ""
    member.size = 1 if kind == tarfile.REGTYPE else 0
    with pytest.raises(GraderError, match=why):
        blobs.unpack(_tarball(member), tmp_path / "out")
    assert not (tmp_path / "escape.py").exists()


def test_a_worker_says_when_its_gradings_would_share_too_few_cores(monkeypatch):
    from grader import load_manifest
    from grader._distributed.worker import _warn_if_crowded

    monkeypatch.setattr("grader._batch.run._host_cores", lambda backend: 2.0)
    lab = load_manifest("00-hello")  # 2 CPUs
    lines: list[str] = []
    _warn_if_crowded(1, [lab], "docker", lines.append)
    assert lines == []
    _warn_if_crowded(2, [lab], "docker", lines.append)
    assert lines == [
        "warning: 2 gradings at a time would share 2 cores, more than 00-hello (2 CPU) can get:"
        " timing checks may fail; lower -c or add hosts"
    ]
