import os

import pytest
from containers import containers_of


@pytest.fixture(autouse=True)
def no_container_left_behind(docker_image):
    """Every test here needs the image, and must leave no grading container behind."""
    yield
    leftovers = containers_of(os.getpid())
    for container in leftovers:
        container.remove(force=True)
    assert not leftovers, f"grading containers left behind: {[c.name for c in leftovers]}"
