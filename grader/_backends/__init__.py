"""Where the sandbox runs: a disposable Docker container, or (without isolation) locally.

``docker`` and ``local`` grade labs for ``grade()``; ``gradescope`` runs the same sandbox inside
Gradescope's own container (``grader._gradescope``); ``notebook`` runs lesson notebooks in a
grading container for ``nbgrader autograde`` (``grader._nbgrader``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from .._errors import GraderError
from .._results import BackendName
from ._common import Backend
from .local import LocalBackend


class BackendChoice(StrEnum):
    """What a caller may ask for: ``auto`` is Docker when a daemon answers, local otherwise."""

    AUTO = "auto"
    DOCKER = "docker"
    LOCAL = "local"


def get_backend(name: str) -> Backend:
    """The backend ``name`` (a ``BackendChoice``) asks for; GraderError for another name, and
    InfrastructureError when ``docker`` is asked for but no daemon answers."""
    try:
        choice = BackendChoice(name)
    except ValueError:
        raise GraderError(f"unknown backend {name!r} (choose from {', '.join(BackendChoice)})") from None
    if choice is BackendChoice.LOCAL:
        return LocalBackend()
    from .docker import DockerBackend, docker_client  # the Docker SDK loads only when needed

    if choice is BackendChoice.DOCKER or docker_client(required=False):
        return DockerBackend()
    return LocalBackend()


def resolve_backend(name: str, *, log: Callable[[str], object] = print) -> str:
    """One backend for a run of many gradings (``auto`` must not switch half-way), with the grading
    image built first, once, if it is Docker (not once per thread). The name to pass on."""
    chosen = get_backend(name).name
    if chosen is BackendName.DOCKER:
        from .._image import ensure_image
        from .docker import docker_client

        ensure_image(client=docker_client(), log=log)
    return str(chosen)


__all__ = ["Backend", "BackendChoice", "LocalBackend", "get_backend", "resolve_backend"]
