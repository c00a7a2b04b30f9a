"""`grader clean` removes only the containers of graders that are gone."""

import os
import subprocess
import sys

from grader._backends.docker import OWNER_LABEL, _boot_id, _owned_by_a_live_grader, owner


def test_a_live_graders_container_is_kept():
    assert _owned_by_a_live_grader({OWNER_LABEL: owner()})


def test_a_dead_graders_container_is_a_leftover():
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(gone.stdout)
    assert not _owned_by_a_live_grader({OWNER_LABEL: f"{_boot_id()}:{pid}:12345"})


def test_a_reused_pid_is_not_the_same_grader():
    boot, pid, started = owner().split(":")
    assert not _owned_by_a_live_grader({OWNER_LABEL: f"{boot}:{pid}:{int(started) + 1}"})
    assert int(pid) == os.getpid()


def test_containers_without_an_owner_or_from_another_machine():
    assert not _owned_by_a_live_grader({})
    assert _owned_by_a_live_grader({OWNER_LABEL: "another-boot:1:1"})
