"""One shop for the whole suite: the learner's app on a database file the suite can inspect.

Starting an app costs a second or more on a loaded machine, so tests share it and each works on
products, customers and orders of its own (the concurrency test starts a second app, on the same
file, with the race window held open: app/db.py, DUCKSHOP_HOLD_UPDATES).
"""

import pytest
from _shop import Shop, shop_env

from grader.testing import LearnerApp, running


@pytest.fixture(scope="session")
def _shop_app(sandbox):
    env, db_path = shop_env(sandbox)
    learner_app = LearnerApp(sandbox, env=env)
    yield learner_app, db_path
    learner_app.stop()


@pytest.fixture
def shop(_shop_app) -> Shop:
    learner_app, db_path = _shop_app
    return Shop(running(learner_app), db_path)
