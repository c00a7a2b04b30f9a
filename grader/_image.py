"""Build the grading image locally through the Docker SDK - no registry needed. A failure here is
an InfrastructureError: no grade can come of a run without the image.

The image (``grader/image/Dockerfile``) is never pulled or pushed: every
machine builds it from three things it already has:

* a base image - by default the official ``python:3.11-slim-bookworm``, or,
  where no registry is reachable (CI, offline classrooms), one made by
  ``grader/image/build-base.sh NAME`` with debootstrap from the host's Debian
  mirror and chosen with ``BASE_IMAGE=NAME`` (env) or ``base_image=``;
* ``grader/image/requirements.txt``, every package pinned;
* a wheelhouse (``.cache/wheelhouse``) filled from PyPI by pip - or pre-filled
  by hand for offline classrooms - from which the image installs with
  ``--no-index`` (the build itself never touches PyPI).

The tag is a content hash of those inputs, so a changed Dockerfile,
requirements.txt or base gives a new tag, and an existing tag means "up to
date": ``ensure_image`` then does nothing at all.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from ._backends.docker import docker_client
from ._errors import GraderError, InfrastructureError
from ._paths import PACKAGE_DIR, REPO_ROOT

IMAGE_NAME = "duckshop-grader"
IMAGE_DIR = PACKAGE_DIR / "image"
DOCKERFILE = IMAGE_DIR / "Dockerfile"
REQUIREMENTS = IMAGE_DIR / "requirements.txt"
DEFAULT_WHEELHOUSE = REPO_ROOT / ".cache" / "wheelhouse"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # docker colours a RUN step's stderr


def _base_image(base_image: str | None) -> str:
    """The argument, else env BASE_IMAGE, else the Dockerfile's ARG default."""
    if base_image:
        return base_image
    if os.environ.get("BASE_IMAGE"):
        return os.environ["BASE_IMAGE"]
    match = re.search(r"^ARG\s+BASE_IMAGE=(\S+)", DOCKERFILE.read_text(), re.MULTILINE)
    if not match:
        raise InfrastructureError(f"{DOCKERFILE} has no 'ARG BASE_IMAGE=...' default")
    return match.group(1)


INPUTS_LABEL = "duckshop.grader.inputs"


def _inputs_digest():
    """sha256 of what the image is built from, the base aside."""
    digest = hashlib.sha256()
    digest.update(DOCKERFILE.read_bytes())
    digest.update(REQUIREMENTS.read_bytes())
    return digest


def image_version() -> str:
    """What the grading image is built from (Dockerfile and requirements), as 12 hex digits: two
    hosts with the same version grade in the same image, whatever base or build made it."""
    return _inputs_digest().hexdigest()[:12]


def image_tag(*, base_image: str | None = None) -> str:
    """``duckshop-grader:<12 hex>`` - a hash of Dockerfile, requirements and base."""
    digest = _inputs_digest()
    digest.update(_base_image(base_image).encode())
    return f"{IMAGE_NAME}:{digest.hexdigest()[:12]}"


def _built_from_any_base(client) -> str | None:
    """A tag of an up-to-date image built from whichever base (``make image`` with BASE_IMAGE
    once, then ``make grade`` without it, finds the image instead of building another)."""
    label = f"{INPUTS_LABEL}={image_version()}"
    for image in client.images.list(filters={"label": label}):
        tags = [t for t in image.tags if t.startswith(IMAGE_NAME + ":")]
        if tags:
            return tags[0]
    return None


def ensure_wheelhouse(*, wheelhouse: Path | None = None) -> Path:
    """Make sure ``wheelhouse`` holds a wheel for every line of requirements.txt.

    Tries offline first (a complete or pre-filled folder needs no network),
    then lets pip fetch what is missing; wheels already there are reused.
    """
    folder = Path(wheelhouse or DEFAULT_WHEELHOUSE)
    folder.mkdir(parents=True, exist_ok=True)
    pip = [
        *_pip_fetch(folder),
        "--disable-pip-version-check",
        "--quiet",
        "--find-links",
        str(folder),
        "-r",
        str(REQUIREMENTS),
    ]
    if subprocess.run([*pip, "--no-index"], capture_output=True).returncode == 0:
        return folder
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise InfrastructureError(f"could not fill the wheelhouse {folder}: {last}")
    return folder


def _pip_fetch(folder: Path) -> list[str]:
    """``pip wheel`` where this interpreter matches the image (Linux, CPython 3.11);
    elsewhere (macOS, Windows, another Python) download the image's Linux wheels."""
    if sys.platform.startswith("linux") and sys.version_info[:2] == (3, 11):
        return [sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(folder)]
    arch = platform.machine().lower()
    arch = {"arm64": "aarch64", "amd64": "x86_64"}.get(arch, arch)
    return [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--dest",
        str(folder),
        "--only-binary=:all:",
        "--python-version=3.11",
        "--implementation=cp",
        *(f"--platform=manylinux{tag}_{arch}" for tag in ("2014", "_2_17", "_2_28")),
    ]


def _has_image(client, name: str) -> bool:
    import docker.errors

    try:
        client.images.get(name)
        return True
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:
        raise InfrastructureError(f"Docker could not look up {name}: {exc.explanation}") from None


def ensure_image(
    *, client=None, base_image: str | None = None, rebuild: bool = False, log: Callable[[str], object] = print
) -> str:
    """Return the grading image's tag, building the image first if it is missing."""
    base = _base_image(base_image)
    tag = image_tag(base_image=base)
    client = client or docker_client()
    if not rebuild and _has_image(client, tag):
        return tag
    if not rebuild and not (base_image or os.environ.get("BASE_IMAGE")):
        existing = _built_from_any_base(client)
        if existing:
            return existing
    hint = ""
    if not _has_image(client, base):
        hint = (
            f" - the base image {base} is not local and may not be pullable; without a"
            " registry run grader/image/build-base.sh duckshop-base:bookworm"
            " and set BASE_IMAGE=duckshop-base:bookworm"
        )
    wheels = ensure_wheelhouse()
    log(f"building {tag} from {base} ...")
    with tempfile.TemporaryDirectory(prefix="duckshop-image-") as context:
        shutil.copy2(DOCKERFILE, Path(context) / "Dockerfile")
        shutil.copy2(REQUIREMENTS, Path(context) / "requirements.txt")
        shutil.copytree(wheels, Path(context) / "wheels", copy_function=_link_or_copy)
        try:
            for chunk in client.api.build(
                path=context,
                tag=tag,
                buildargs={"BASE_IMAGE": base},
                labels={INPUTS_LABEL: image_version()},
                rm=True,
                forcerm=True,
                nocache=rebuild,
                decode=True,
            ):
                if "error" in chunk:
                    raise InfrastructureError(f"building {tag} failed: {' '.join(chunk['error'].split())}{hint}")
                for line in _ANSI.sub("", chunk.get("stream", "")).splitlines():
                    if line.strip():
                        log(line.rstrip())
        except GraderError:
            raise
        except Exception as exc:
            raise InfrastructureError(f"building {tag} failed: {exc}{hint}") from None
    if not _has_image(client, tag):
        raise InfrastructureError(f"building {tag} ended without an image{hint}")
    log(f"built {tag}")
    return tag


def _link_or_copy(src: str, dst: str) -> None:
    """Hard-link wheels into the build context when possible (fast, no space)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
