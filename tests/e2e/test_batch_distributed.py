"""`grader batch --broker` end to end: Redis, two `grader worker` processes on this Docker engine,
20 students of Lab 00 with mixed outcomes, one worker's grading process SIGKILLed mid-batch -
and the gradebook is the local batch's."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import threading
import time

import pytest
import redis as redis_client
from containers import containers_of
from workers import full_name, pool_processes, workers

from grader._batch import batch
from grader._distributed import scratch
from grader._distributed.tasks import GRADED
from grader._distributed.worker import list_workers

pytestmark = pytest.mark.docker

# Six distinct submissions, three students each, and two who handed in nothing gradable.
KINDS = {
    "full": ("solution", None),
    "zero": ("scaffold", None),
    "syntax": ("solution", "bad-syntax"),
    "float": ("solution", "float-round"),
    "lax": ("solution", "lax-quantity"),
    "sku": ("solution", "case-insensitive-sku"),
}


def scratch_of(pid: int):
    return scratch.base() / str(pid)


def rows_of(path):
    with open(path, newline="") as f:
        return {row.pop("student"): row for row in csv.DictReader(f)}


@pytest.fixture
def url():
    from shopdata.servers import ServerUnavailable, redis

    try:
        with redis() as url:
            yield url
    except ServerUnavailable as exc:
        pytest.skip(str(exc))


def test_two_workers_one_killed_mid_batch_grade_as_a_local_batch(make_submission, url, tmp_path):
    reference, klass = tmp_path / "reference", tmp_path / "class"
    reference.mkdir()
    klass.mkdir()
    kind_of = {}
    for kind, (base, overlay) in KINDS.items():
        made = make_submission("00-hello", base, overlay)
        shutil.copytree(made, reference / kind)
        for n in range(3):
            shutil.copytree(made, klass / f"{kind}-{n}")
            kind_of[f"{kind}-{n}"] = kind
    for where in (reference, klass):
        (where / "not-a-folder").write_text("a file, not a submission\n")
        (where / "empty").mkdir()
    kind_of |= {"not-a-folder": "not-a-folder", "empty": "empty"}
    assert len(kind_of) == 20

    local = batch(lab="00-hello", submissions=reference, out=tmp_path / "local", backend="docker")
    expected = rows_of(local.gradebook)

    with workers(url, ["w1", "w2"], tmp_path) as started:
        summary = {}
        coordinator = threading.Thread(
            target=lambda: summary.setdefault("it", batch(lab="00-hello", submissions=klass, broker=url)), daemon=True
        )
        coordinator.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline:
            for name, worker in started.items():
                # A running container, not one that exited: the pool process could be done with its task.
                busy = [pid for pid in pool_processes(worker) if containers_of(pid, running=True)]
                if busy:
                    listed = {w.name: [(g.lab, len(g.students)) for g in w.grading] for w in list_workers(broker=url)}
                    assert sorted(listed) == sorted(full_name(n) for n in started), listed
                    assert any(("00-hello", 3) in g for g in listed.values()), (
                        f"grader workers shows no grading: {listed}"
                    )
                    assert scratch_of(busy[0]).is_dir(), "a pool process keeps its temporary files in its own folder"
                    os.kill(busy[0], signal.SIGKILL)  # mid-grading: its task goes back to the queue
                    killed = (name, busy[0])
                    break
            time.sleep(0.2)
        assert killed, "no worker ever ran a grading container"
        coordinator.join(timeout=240)
        assert not coordinator.is_alive(), "the batch did not finish after a worker's grading process was killed"
        assert all(w.poll() is None for w in started.values()), "a worker's main process survives its pool's loss"
        graded = {k.decode(): int(v) for k, v in redis_client.Redis.from_url(url).hgetall(GRADED).items()}
    remote = summary["it"]
    got = rows_of(remote.gradebook)
    assert {student: expected[kind] for student, kind in kind_of.items()} == got
    assert remote.exit_code == local.exit_code == 2  # the two error rows
    assert sum(graded.values()) == len(KINDS), f"each distinct submission graded once: {graded}"
    assert containers_of(killed[1]) == [], "the killed process's container was removed"
    assert not scratch_of(killed[1]).exists(), "the killed process's temporary files were removed"
    log = (tmp_path / f"{killed[0]}.log").read_text()
    assert "WorkerLostError" in log or "exited with 'signal 9 (SIGKILL)'" in log, log[-3000:]
