"""Where the sandbox runs: a disposable Docker container, or (without isolation) locally."""

from __future__ import annotations

from .._errors import GraderError
from ._common import Backend
from .local import LocalBackend

BACKENDS = ("auto", "docker", "local")


def get_backend(name: str) -> Backend:
    """``auto`` is Docker when a daemon answers, local otherwise."""
    if name not in BACKENDS:
        raise GraderError(f"unknown backend {name!r} (choose from {', '.join(BACKENDS)})")
    if name == "local":
        return LocalBackend()
    from .docker import DockerBackend, docker_client  # the Docker SDK loads only when needed

    if name == "docker" or docker_client(required=False):
        return DockerBackend()
    return LocalBackend()


__all__ = ["BACKENDS", "Backend", "LocalBackend", "get_backend"]
