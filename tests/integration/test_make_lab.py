"""`make lab` - the learner's first command - starts JupyterLab on the welcome lesson, no Docker."""

import os
import signal
import socket
import subprocess
import time

import httpx

from grader._paths import REPO_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_serves_the_welcome_lesson():
    port, token = free_port(), "course-test"
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    env = {**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}  # prove Docker isn't needed
    lab = subprocess.Popen(
        ["make", "lab", f"JUPYTER_ARGS={args}"],
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and lab.poll() is None:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/contents/workspace/00-welcome.ipynb",
                    params={"token": token, "content": 0},
                    timeout=2,
                )
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert answer is not None, f"JupyterLab did not answer: {lab.stdout.read1().decode() if lab.poll() else ''}"
        assert answer.status_code == 200 and answer.json()["type"] == "notebook"
        page = httpx.get(f"http://127.0.0.1:{port}/lab", params={"token": token}, timeout=5)
        assert page.status_code == 200
        # A learner's JupyterLab: nbgrader's instructor tools and the news pop-up are off.
        for plugin in ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyterlab/apputils-extension:announcements"):  # fmt: skip
            assert f'"{plugin}"' in page.text.split("jupyter-config-data", 1)[1].split("</script>", 1)[0]
        formgrader = httpx.get(f"http://127.0.0.1:{port}/formgrader", params={"token": token}, timeout=5)
        assert formgrader.status_code == 404
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
