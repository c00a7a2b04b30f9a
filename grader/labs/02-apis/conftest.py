"""One shop for the whole suite: the learner's app on a database file the suite can inspect.

Starting an app costs seconds on a loaded machine, so tests share it and each uses its own
products and customers. (A module- or session-scoped `start_app` in the engine would replace this.)
"""

import pytest

from grader._sandbox.learner import LearnerApp, LearnerCrash

from _shop import Shop, shop_env


@pytest.fixture(scope="session")
def _shop_app(sandbox):
    env, db_path = shop_env(sandbox)
    learner_app = LearnerApp(sandbox, env=env)
    yield learner_app, db_path
    learner_app.stop()


@pytest.fixture
def shop(_shop_app) -> Shop:
    learner_app, db_path = _shop_app
    try:
        learner_app.ensure_running()  # restarted if a previous test killed it
    except LearnerCrash as exc:
        pytest.fail(str(exc), pytrace=False)
    return Shop(learner_app, db_path)
