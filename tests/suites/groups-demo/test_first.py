from _groups import check_own_places, check_side_by_side, signal_and_wait


def test_the_groups_run_side_by_side(sandbox, redis_url):
    check_side_by_side(sandbox, redis_url, "first-here", "second-here")


def test_a_group_has_its_own_user_scratch_and_ports(sandbox, start_app, start_learner):
    check_own_places(sandbox, start_app, start_learner, group=1)


def test_another_groups_kill_all_spares_this_groups_app(sandbox, start_app):
    app = start_app(env={"NAME": "first"})
    pid = app.request("GET", "/pid").json()
    signal_and_wait(sandbox, "app-up", "killed")  # the second group has killed all its learner processes
    assert app.request("GET", "/pid").json() == pid, "the app of this group was stopped"
