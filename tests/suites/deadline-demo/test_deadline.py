import time


def test_quick():
    assert True


def test_too_slow():
    time.sleep(300)
