"""The Docker backend end to end: marks, bad input, limits, services, Ctrl-C."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest
from containers import containers_of
from expectations import BAD_INPUT, FULL, ZERO, failing_messages, part_scores

from grader import grade, load_manifest
from grader._backends.docker import DockerBackend
from grader._paths import SOLUTIONS_DIR

pytestmark = pytest.mark.docker
SUITES = Path(__file__).parents[1] / "suites"
SUBMISSIONS = Path(__file__).parents[1] / "submissions"


def test_the_solution_gets_full_marks_in_a_container():
    results = grade(lab="00-hello", submission=SOLUTIONS_DIR / "00-hello", backend="docker")
    assert (results.backend, results.status, part_scores(results)) == ("docker", "passed", FULL), failing_messages(
        results
    )


def test_the_untouched_scaffold_scores_zero_quickly_in_a_container():
    started = time.monotonic()
    results = grade(lab="00-hello", backend="docker")
    assert (results.status, part_scores(results)) == ("failed", ZERO)
    assert all(t.status == "failed" for t in results.tests), failing_messages(results)
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("overlay", sorted(BAD_INPUT))
def test_bad_input_in_a_container(make_submission, overlay):
    parts, phrase = BAD_INPUT[overlay]
    results = grade(lab="00-hello", submission=make_submission("00-hello", "solution", overlay), backend="docker")
    assert (results.status, part_scores(results)) == ("failed", parts)
    assert all(phrase in message for message in failing_messages(results)), failing_messages(results)


def test_the_container_is_locked_down(docker_image, tmp_path):
    manifest = load_manifest("00-hello")
    client = docker.from_env()
    (tmp_path / "submission").mkdir()
    (tmp_path / "results").mkdir()
    container = DockerBackend()._create(
        client, docker_image, manifest, tmp_path / "submission", tmp_path / "results", "{}"
    )
    try:
        host = container.attrs["HostConfig"]
        assert host["NetworkMode"] == "none"
        assert host["ReadonlyRootfs"] is True and host["Init"] is True
        assert host["CapDrop"] == ["ALL"]
        assert {cap.removeprefix("CAP_") for cap in host["CapAdd"]} == {"KILL", "SETGID", "SETUID"}
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["Memory"] == host["MemorySwap"] == manifest.limits.memory_mb * 1024 * 1024
        assert host["PidsLimit"] == manifest.limits.pids
        assert host["NanoCpus"] == int(manifest.limits.cpus * 1e9)
        modes = {m["Destination"]: m["RW"] for m in container.attrs["Mounts"]}
        assert modes == {
            "/submission": False,
            "/opt/grader/grader": False,
            "/opt/grader/lab": False,
            "/opt/grader/results": True,
        }
        assert list(host["Tmpfs"]) == ["/tmp"]
    finally:
        container.remove(force=True)


def test_services_run_inside_the_container():
    results = grade(lab="services-demo", submission=SUBMISSIONS / "services-demo", backend="docker", suites_dir=SUITES)
    assert results.status == "passed", failing_messages(results)


def test_test_groups_run_side_by_side_as_their_own_users_in_a_container():
    results = grade(lab="groups-demo", submission=SUBMISSIONS / "processes-demo", backend="docker", suites_dir=SUITES)
    assert results.status == "passed", failing_messages(results)


def test_a_suite_past_its_deadline_in_a_container(tmp_path):
    results = grade(lab="deadline-demo", submission=tmp_path, backend="docker", suites_dir=SUITES)
    assert [t.status for t in results.tests] == ["passed", "error"] and results.status == "error"
    assert results.tests[1].message == "not run: the hidden suite hit its 10 s time limit"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_grader_removes_its_container(make_submission, signum):
    submission = make_submission("00-hello", "solution", "bad-import-hang")  # keeps the container busy
    grader = subprocess.Popen(
        [sys.executable, "-m", "grader", "grade", "00-hello", "--submission", str(submission), "--backend", "docker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not containers_of(grader.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert containers_of(grader.pid), "the grading container never started"
    grader.send_signal(signum)
    _, stderr = grader.communicate(timeout=30)
    assert grader.returncode == 130 and stderr.strip() == "grader: interrupted", stderr
    assert containers_of(grader.pid) == []
