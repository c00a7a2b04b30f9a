# The image `grader worker` runs in on a Docker host (compose.yaml's worker service). It holds
# only the grader's host-side dependencies: the course itself is the checkout that compose
# mounts at the same path as on the host, because the worker asks the host's Docker engine to
# bind-mount the grader, the hidden suite and each submission into grading containers - paths
# the engine resolves on the host. BASE_IMAGE=duckshop-base:bookworm works offline-ish (pip
# still fetches the packages below).
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}
ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PATH=/venv/bin:$PATH
COPY worker-requirements.txt /tmp/worker-requirements.txt
RUN set -eu; \
    { python3 -m venv /venv 2>/dev/null; } || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null && python3 -m venv /venv; }; \
    /venv/bin/pip install --no-cache-dir --quiet -r /tmp/worker-requirements.txt; \
    rm -f /tmp/worker-requirements.txt
