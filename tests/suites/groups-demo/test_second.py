from pathlib import Path

from _groups import check_own_places, check_side_by_side, signal_and_wait

from grader._sandbox.processes import kill_all


def test_the_groups_run_side_by_side(sandbox, redis_url):
    check_side_by_side(sandbox, redis_url, "second-here", "first-here")


def test_a_group_has_its_own_user_scratch_and_ports(sandbox, start_app, start_learner):
    check_own_places(sandbox, start_app, start_learner, group=2)


def test_kill_all_while_the_other_group_has_an_app(sandbox, start_app):
    app = start_app(env={"NAME": "second"})
    signal_and_wait(sandbox, "ready-to-kill", "app-up")
    kill_all(sandbox)  # as a test does for a hung call: every learner process of this group
    (Path(sandbox.private_dir) / "killed.flag").touch()
    assert not app.alive, "kill_all should stop this group's own app"
