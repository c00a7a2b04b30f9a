import docker
import pytest

from grader._backends.docker import LABEL


def grading_containers(client) -> set[str]:
    return {c.id for c in client.containers.list(all=True, filters={"label": LABEL})}


@pytest.fixture(autouse=True)
def no_container_left_behind(docker_image):
    """Every test here needs the image, and must leave no grading container behind."""
    client = docker.from_env()
    before = grading_containers(client)  # another grader may be running on this machine
    yield
    leftovers = grading_containers(client) - before
    for container_id in leftovers:
        client.containers.get(container_id).remove(force=True)
    assert not leftovers, f"grading containers left behind: {sorted(leftovers)}"
