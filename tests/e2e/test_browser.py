"""A learner's first hour, in a real browser: `make lab`, the welcome lesson, Run All Cells, and the
lab check's table at the end - in Debian's Chromium, headless, driven by selenium.

Screenshots of the lesson and of the lab check are saved in build/screenshots/ (CI artefacts; the
README shows copies of them). The kernel grades the lab with the local backend, so the test needs
no Docker; JupyterLab's settings live in a temporary folder, with autosave off, so the learner's
own copy of the lesson is left as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time

import httpx
import pytest

from grader import load_manifest
from grader._paths import REPO_ROOT

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the dev extra")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)", allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """`make lab` on a free port: (base URL, token)."""
    port, token = free_port(), "browser-test"
    settings = tmp_path / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "GRADER_BACKEND": "local",  # the lesson's check cell: no Docker needed here
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    lab = subprocess.Popen(
        ["make", "lab", f"JUPYTER_ARGS={args}"], cwd=REPO_ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/status", params={"token": token}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("make lab did not start JupyterLab within 120 s")
        yield base, token
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def click_menu(driver, menu: str, item: str) -> None:
    driver.find_element(By.XPATH, f"//div[contains(@class, 'lm-MenuBar-itemLabel') and text()='{menu}']").click()
    WebDriverWait(driver, 10).until(
        expected_conditions.element_to_be_clickable(
            (By.XPATH, f"//div[contains(@class, 'lm-Menu-itemLabel') and text()='{item}']")
        )
    ).click()


def test_run_all_on_the_welcome_lesson_ends_with_the_lab_check(jupyterlab, browser):
    base, token = jupyterlab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{base}/lab/tree/workspace/00-welcome.ipynb?token={token}")
    wait = WebDriverWait(browser, 120)
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook .jp-Cell")))
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")))
    time.sleep(2)  # the kernel settles
    browser.save_screenshot(str(SCREENSHOTS / "lesson.png"))

    click_menu(browser, "Run", "Run All Cells")
    table = WebDriverWait(browser, 300).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".jp-OutputArea .duckshop-grade details"))
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", table)
    time.sleep(1)
    browser.save_screenshot(str(SCREENSHOTS / "lab-check.png"))
    # The lab check's own box: the welcome lesson's progress cell above it is a .duckshop-grade too.
    shown = table.find_element(By.XPATH, "./ancestor::div[contains(@class, 'duckshop-grade')][1]").text
    for part in load_manifest("00-hello").parts:
        assert part.title in shown, shown[:500]
    assert "local backend" in shown
    assert (SCREENSHOTS / "lesson.png").stat().st_size > 10_000
