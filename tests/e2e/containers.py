import docker

from grader._backends.docker import PID_LABEL


def containers_of(pid: int, *, running: bool = False) -> list:
    """Grading containers created by process ``pid`` (other graders may share this daemon); with
    ``running``, only those still running, not those that exited and wait to be removed."""
    filters: dict[str, str | list[str] | bool] = {"label": f"{PID_LABEL}={pid}"}
    if running:
        filters["status"] = "running"
    return docker.from_env().containers.list(all=True, filters=filters)
