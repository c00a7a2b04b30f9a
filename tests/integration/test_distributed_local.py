"""`grader batch --broker` on the local backend: a throwaway Redis, real `grader worker` processes,
the demo lab of tests/suites/mutation-demo (two tests, a second to grade)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_client
from workers import descendants, full_name, pool_processes, workers

from grader import GraderError, load_manifest
from grader._batch import batch
from grader._batch.cache import cache_key, grading_context
from grader._distributed import blobs
from grader._distributed.broker import TASK_NAME, check_visibility, connect, make_app
from grader._distributed.tasks import GRADED, WorkerSettings, done_key, handle, payload

SUITES = Path(__file__).parents[1] / "suites"
DEMO = Path(__file__).parents[1] / "submissions" / "mutation-demo"
LAB = "mutation-demo"

pytestmark = pytest.mark.slow


@pytest.fixture
def url():
    from shopdata.servers import ServerUnavailable, redis

    try:
        with redis() as url:
            yield url
    except ServerUnavailable as exc:
        pytest.skip(str(exc))


def make_class(root: Path) -> Path:
    """Five students: two identical solutions, a scaffold, a changed solution, an empty folder."""
    root.mkdir()
    for name, kind in {"ann": "solution", "ben": "scaffold", "cat": "solution", "dan": "solution"}.items():
        shutil.copytree(DEMO / kind, root / name)
    (root / "dan" / "NOTES.md").write_text("my notes\n")
    (root / "eve").mkdir()
    return root


def timeless(results: dict) -> dict:
    """Results without their durations (which no two runs share)."""
    tests = [{**t, "duration_s": 0} for t in results["tests"]]
    return {**results, "duration_s": 0, "execution_time": 0, "tests": tests}


def graded_count(url: str) -> int:
    return sum(int(v) for v in redis_client.Redis.from_url(url).hgetall(GRADED).values())


def test_a_class_on_a_worker_is_the_local_batch_byte_for_byte(url, tmp_path):
    klass = make_class(tmp_path / "class")
    local = batch(lab=LAB, submissions=klass, out=tmp_path / "local", backend="local", suites_dir=SUITES)
    counts: list[dict[str, int]] = []
    with workers(url, ["w1"], tmp_path, "--backend", "local", "--suites-dir", str(SUITES)):
        remote = batch(
            lab=LAB,
            submissions=klass,
            out=tmp_path / "remote",
            backend="local",
            suites_dir=SUITES,
            broker=url,
            on_worker=counts.append,
        )
        assert (remote.gradebook.read_bytes(), remote.exit_code) == (local.gradebook.read_bytes(), local.exit_code)
        assert [s.status for s in remote.students] == ["passed", "failed", "passed", "passed", "error"]
        for student in ("ann", "ben", "cat", "dan"):
            got, want = (
                json.loads((d / "results" / f"{student}.json").read_text())
                for d in (tmp_path / "remote", tmp_path / "local")
            )
            assert timeless(got) == timeless(want)
            assert [k.read_text() for k in (tmp_path / "remote" / "cache").glob(f"{student}.key")] == [
                (tmp_path / "local" / "cache" / f"{student}.key").read_text()
            ]
        assert counts[-1] == {full_name("w1"): 4}, "four students answered by w1"
        assert graded_count(url) == 3, "ann and cat handed in the same bytes: graded once"
        listed = subprocess.run(
            [sys.executable, "-m", "grader", "workers", "--broker", url], capture_output=True, text=True
        )
        assert listed.stdout == f"{full_name('w1')}: idle - 3 graded, 3 fetched\n", listed
        again = batch(
            lab=LAB, submissions=klass, out=tmp_path / "remote", backend="local", suites_dir=SUITES, broker=url
        )
        assert (again.graded, again.cached) == (0, 4) and again.gradebook.read_bytes() == local.gradebook.read_bytes()
    # the local batch's store takes the remote grades as its own: same keys, same results
    mixed = batch(lab=LAB, submissions=klass, out=tmp_path / "remote", backend="local", suites_dir=SUITES)
    assert (mixed.graded, mixed.cached) == (0, 4)


def test_an_interrupted_coordinator_resumes_without_grading_again(url, tmp_path):
    klass = make_class(tmp_path / "class")
    seen = []

    def stop_after_first(done, total, latest):
        if latest is not None and latest.status != "error":
            seen.append(latest.student)
            raise KeyboardInterrupt

    with workers(url, ["w1"], tmp_path, "--backend", "local", "--suites-dir", str(SUITES)):
        with pytest.raises(KeyboardInterrupt) as interrupted:
            batch(
                lab=LAB,
                submissions=klass,
                out=tmp_path / "out",
                backend="local",
                suites_dir=SUITES,
                broker=url,
                progress=stop_after_first,
            )
        summary = interrupted.value.summary
        assert summary.interrupted and summary.exit_code == 130
        rows = {s.student: s.message for s in summary.students}
        assert sum(m == "not graded: the batch was interrupted" for m in rows.values()) >= 2, rows
        # the worker grades what was sent meanwhile; the re-run collects it instead of sending it again
        resumed = batch(
            lab=LAB, submissions=klass, out=tmp_path / "out", backend="local", suites_dir=SUITES, broker=url
        )
        assert resumed.exit_code == 2 and [s.status for s in resumed.students] == [
            "passed",
            "failed",
            "passed",
            "passed",
            "error",
        ]
        assert graded_count(url) == 3, "each distinct submission graded once over both runs"


def test_a_duplicate_delivery_answers_the_first_grade(url, tmp_path):
    manifest = load_manifest(LAB, SUITES)
    context = grading_context(manifest)
    key = cache_key(context, DEMO / "solution")
    sha, data = blobs.pack(DEMO / "solution")
    client = connect(url)
    blobs.upload(client, sha, data)
    task = payload(lab=LAB, key=key, blob=sha, students=["ann"], context=context, backend="local")
    with workers(url, ["w1", "w2"], tmp_path, "--backend", "local", "--suites-dir", str(SUITES)):
        app = make_app(url)
        first = app.send_task(TASK_NAME, args=[task], task_id=str(uuid.uuid4())).get(timeout=120)
        second = app.send_task(TASK_NAME, args=[task], task_id=str(uuid.uuid4())).get(timeout=120)
    assert first["graded"] and not second["graded"], "the second delivery is answered, not graded"
    assert first["results"] == second["results"] and first["results"]["score"] == 2
    assert graded_count(url) == 1


def test_a_worker_that_differs_reports_an_error_never_a_grade(url, tmp_path):
    manifest = load_manifest(LAB, SUITES)
    context = grading_context(manifest)
    key = cache_key(context, DEMO / "solution")
    sha, data = blobs.pack(DEMO / "solution")
    client = connect(url)
    blobs.upload(client, sha, data)
    settings = WorkerSettings(
        url=url, name="w9@here", backend="local", blob_cache=tmp_path / "blobs", suites_dir=SUITES
    )
    task = payload(lab=LAB, key=key, blob=sha, students=["ann"], context=context, backend="local")
    for change, why in [
        ({"image": "0" * 12}, "has grading image"),
        ({"context": {**context, "suite": "another"}}, "(suite differ)"),
        ({"backend": "docker"}, "the batch asked for docker"),
    ]:
        answer = handle({**task, **change}, settings, client)
        results = answer["results"]
        assert (results["status"], results["infrastructure_failure"]) == ("error", True), answer
        assert why in results["message"], results["message"]
        assert client.get(done_key(key, "local")) is None, "an error is never the stored grade"
    assert not (tmp_path / "blobs").exists(), "nothing fetched before the versions agree"
    answer = handle(task, settings, client)
    assert (answer["results"]["status"], answer["graded"]) == ("passed", True)
    assert (tmp_path / "blobs" / f"{sha}.tar.gz").exists()
    client.delete(blobs.PREFIX + sha, done_key(key, "local"))
    again = handle(task, settings, client)  # the worker has the blob: the broker's copy is not needed
    assert (again["results"]["status"], again["graded"]) == ("passed", True)


def test_bad_input_is_one_line(url, tmp_path):
    klass = make_class(tmp_path / "class")
    done = subprocess.run(
        [sys.executable, "-m", "grader", "batch", "00-hello", str(klass), "--broker", "http://example.com"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stderr.strip().splitlines() == [
        "grader: --broker must be a Redis URL such as redis://HOST:6379/0, not 'http://example.com'"
    ]
    nobody = subprocess.run(
        [sys.executable, "-m", "grader", "workers", "--broker", url], capture_output=True, text=True
    )
    assert (nobody.returncode, nobody.stdout, nobody.stderr) == (1, "", "grader: no worker answers on this broker\n")
    with pytest.raises(
        GraderError, match=r"^cannot reach the broker at redis://u:\*\*\*@127.0.0.1:1/0 \(ConnectionError"
    ):
        connect("redis://u:secret@127.0.0.1:1/0", retries=1)
    with pytest.raises(GraderError, match="not above 00-hello's deadline"):
        check_visibility(300, load_manifest("00-hello"))
    with pytest.raises(GraderError, match="not above"):
        batch(lab=LAB, submissions=klass, suites_dir=SUITES, broker=url, visibility_timeout_s=30)


def running(pid: int) -> bool:
    """Alive and not a zombie (one whose parent has not reaped it yet is gone all the same)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _redis_server(port: int, data: Path) -> subprocess.Popen[bytes]:
    """A Redis that keeps its data across restarts (an append-only file, synced on every write)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(data)]
    server = subprocess.Popen(
        [*command, "--appendonly", "yes", "--appendfsync", "always"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError("redis-server did not start")


def test_a_broker_that_goes_away_for_a_while_is_waited_out(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    for n in range(8):  # eight distinct submissions: the outage falls in the middle
        shutil.copytree(DEMO / "solution", klass / f"s{n}")
        (klass / f"s{n}" / "NOTES.md").write_text(f"student {n}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "redis").mkdir()
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port, tmp_path / "redis")
    try:
        with workers(url, ["w1"], tmp_path, "--backend", "local", "--suites-dir", str(SUITES)):
            first, outcome = threading.Event(), {}

            def coordinate() -> None:
                outcome["summary"] = batch(
                    lab=LAB,
                    submissions=klass,
                    backend="local",
                    suites_dir=SUITES,
                    broker=url,
                    progress=lambda done, total, latest: latest is not None and first.set(),
                )

            coordinator = threading.Thread(target=coordinate, daemon=True)
            coordinator.start()
            assert first.wait(timeout=120), "no student was graded"
            server.terminate()
            server.wait()
            time.sleep(5)  # the coordinator and the worker find no broker for a while
            server = _redis_server(port, tmp_path / "redis")
            coordinator.join(timeout=240)
            assert not coordinator.is_alive(), "the batch never finished after the broker came back"
        summary = outcome["summary"]
        assert [s.status for s in summary.students] == ["passed"] * 8, [s.message for s in summary.students]
        assert summary.exit_code == 0
    finally:
        server.kill()
        server.wait()


def test_a_whole_worker_killed_mid_grading_has_its_task_graded_again_after_the_visibility_timeout(url, tmp_path):
    """SIGKILL to a worker's main process and its pool: nothing is left to requeue the task, so
    Redis's visibility timeout delivers it again, to the other worker - once."""
    suites = tmp_path / "suites"
    shutil.copytree(SUITES / LAB, suites / "sleepy-demo")
    manifest = suites / "sleepy-demo" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("timeout_s = 60", "timeout_s = 10"))
    tests = suites / "sleepy-demo" / "test_flags.py"
    tests.write_text(tests.read_text().replace("(learner):\n", "(learner):\n    __import__('time').sleep(4)\n", 1))
    klass = tmp_path / "class"
    shutil.copytree(DEMO / "solution", klass / "ann")
    visibility = 95  # just above the lab's deadline: 10 s, the sandbox's grace and start-up
    args = ("--backend", "local", "--suites-dir", str(suites), "--visibility-timeout", str(visibility))
    with workers(url, ["w1", "w2"], tmp_path, *args) as started:
        outcome = {}

        def coordinate() -> None:
            outcome["summary"] = batch(
                lab="sleepy-demo",
                submissions=klass,
                backend="local",
                suites_dir=suites,
                broker=url,
                visibility_timeout_s=visibility,
            )

        coordinator = threading.Thread(target=coordinate, daemon=True)
        began = time.monotonic()
        coordinator.start()
        killed: list[int] = []
        while not killed and time.monotonic() - began < 60:
            for worker in started.values():
                if any(descendants(pid) for pid in pool_processes(worker)):  # a sandbox runs: mid-grading
                    killed = [worker.pid, *descendants(worker.pid)]
                    for pid in killed:
                        os.kill(pid, signal.SIGKILL)
                    break
            time.sleep(0.05)
        assert killed, "no worker ever started grading"
        coordinator.join(timeout=visibility + 120)
        took = time.monotonic() - began
        assert not coordinator.is_alive(), "the task was never delivered again"
    summary = outcome["summary"]
    assert [(s.status, s.score) for s in summary.students] == [("passed", 2)], summary.students
    assert took >= visibility, f"graded again after {took:.0f} s: before the visibility timeout, by whom?"
    graded = {k.decode(): int(v) for k, v in redis_client.Redis.from_url(url).hgetall(GRADED).items()}
    assert sum(graded.values()) == 1, graded
    assert not [pid for pid in killed if running(pid)], "a killed process lingers"


def test_ctrl_c_on_a_waiting_coordinator_keeps_what_finished(url, tmp_path):
    """No worker answers: the batch says so and waits; Ctrl-C ends it as a local batch ends."""
    klass = make_class(tmp_path / "class")
    out = tmp_path / "grades"
    command = [sys.executable, "-m", "grader", "batch", "00-hello", str(klass), "--broker", url, "--out", str(out)]
    coordinator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((out / "results").glob("eve.json")) and time.monotonic() < deadline:
        time.sleep(0.1)  # eve's empty folder is her row before anything is sent
    time.sleep(3)
    coordinator.send_signal(signal.SIGINT)
    _, stderr = coordinator.communicate(timeout=60)
    assert coordinator.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert lines[0].startswith("no worker answers on redis://127.0.0.1:"), lines
    assert lines[-1] == f"grader: interrupted; the finished results are kept in {out}", lines
    with (out / "gradebook.csv").open() as f:
        rows = {row["student"]: row["message"] for row in csv.DictReader(f)}
    assert rows == {
        "ann": "not graded: the batch was interrupted",
        "ben": "not graded: the batch was interrupted",
        "cat": "not graded: the batch was interrupted",
        "dan": "not graded: the batch was interrupted",
        "eve": "the submission is empty",
    }


def test_a_worker_with_another_suite_answers_errors_and_the_next_run_grades(url, tmp_path):
    klass = make_class(tmp_path / "class")
    other = tmp_path / "other-suites"
    shutil.copytree(SUITES / LAB, other / LAB)
    with (other / LAB / "test_flags.py").open("a") as f:
        f.write("\n# another version of the hidden suite\n")
    with workers(url, ["old"], tmp_path, "--backend", "local", "--suites-dir", str(other)):
        first = batch(lab=LAB, submissions=klass, backend="local", suites_dir=SUITES, broker=url)
    assert {s.message for s in first.students if s.student != "eve"} == {
        f"worker {full_name('old')} grades with another grader than the coordinator (suite differ):"
        " install the same version of the course on both"
    }
    assert first.exit_code == 2 and graded_count(url) == 0
    with workers(url, ["new"], tmp_path, "--backend", "local", "--suites-dir", str(SUITES)):
        second = batch(lab=LAB, submissions=klass, backend="local", suites_dir=SUITES, broker=url)
    assert [s.status for s in second.students] == ["passed", "failed", "passed", "passed", "error"]
    assert graded_count(url) == 3, "the errors were graded again, by the worker that matches"
