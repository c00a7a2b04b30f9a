"""Where the sandbox runs: a disposable Docker container, or (without isolation) locally."""

from __future__ import annotations

from .._errors import GraderError
from ._common import Backend
from .docker import DockerBackend, docker_client
from .local import LocalBackend

BACKENDS = ("auto", "docker", "local")


def get_backend(name: str) -> Backend:
    """``auto`` is Docker when a daemon answers, local otherwise."""
    if name == "docker":
        return DockerBackend()
    if name == "local":
        return LocalBackend()
    if name == "auto":
        return DockerBackend() if docker_client(required=False) else LocalBackend()
    raise GraderError(f"unknown backend {name!r} (choose from {', '.join(BACKENDS)})")


__all__ = ["BACKENDS", "Backend", "DockerBackend", "LocalBackend", "get_backend"]
