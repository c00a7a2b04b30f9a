from grader.testing import call


def test_the_shop_is_open(learner):
    assert call(learner, "app.flags:is_open") is True


def test_verbose_is_a_bool(learner):
    assert isinstance(call(learner, "app.flags:is_verbose"), bool)  # weak on purpose: a mutant survives
