# The course's commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAB ?= 00-hello
SUBMISSION ?= labs/$(LAB)
JUPYTER_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install lab progress check fast unit lint test grade image bench determinism workspace clean release lab-cells new-lab

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  Variables: LAB=$(LAB) PART=<part id> SUBMISSION=labs/<LAB> (grade), BASE_IMAGE (image)"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the course (once)

workspace: install ## Make your own copies of new lessons in workspace/ (never overwrites yours)
	@$(PY) -m grader workspace

lab: workspace ## Start JupyterLab on the welcome lesson (no Docker needed)
	JUPYTER_CONFIG_DIR=$(CURDIR)/course/jupyter-learner $(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root) $(JUPYTER_ARGS) workspace/00-welcome.ipynb

test: install ## Run a lab's public tests locally: make test LAB=00-hello
	cd $(SUBMISSION) && $(abspath $(PY)) -m pytest tests -q -p no:cacheprovider

grade: install ## Run a lab's hidden suite (in a container if Docker answers): make grade LAB=00-hello [PART=id] [SUBMISSION=dir]
	$(PY) -m grader grade $(LAB) --submission $(SUBMISSION) $(foreach p,$(PART),--part $(p))

progress: install ## Your grading history: best and latest score per part of each lab
	@$(PY) -m grader progress

image: install ## Build the grading image (no-op when up to date; BASE_IMAGE=... to choose the base)
	$(PY) -m grader image

new-lab: install ## Create a lab that grades end to end: make new-lab LAB=05-rate-limits [TITLE="Rate limits"]
	$(PY) -m grader new-lab $(LAB) $(if $(TITLE),--title "$(TITLE)")

lab-cells: install ## Write each lesson's lab cells from its lab's manifest (after changing parts or points)
	$(PY) -m grader lab-cells

release: install ## The student edition: nbgrader releases in course/release/, and build/student-edition/*.tar.gz
	$(PY) -m grader release

lint: install ## ruff (lint, format check) and mypy (strict on the grader's core); CI runs it first
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: install ## The grader's unit tests (seconds)
	$(PY) -m pytest tests/unit -q

fast: install ## Every test but the Docker and slow ones (a few minutes)
	$(PY) -m pytest -m "not docker and not slow"

WORKERS ?= 2
check: install ## The project's own test suite, with coverage of the grader package and its 15 slowest tests on two xdist workers (what CI runs) [WORKERS=1: one process]
	$(PY) -m pytest $(if $(filter-out 1,$(WORKERS)),-n $(WORKERS) --dist loadfile) --cov --cov-report=term:skip-covered --durations=15

bench: install ## Grading speed, as tables: one submission per backend; where each lab's time goes; a class of 50 (batch -j 1,2,4, nbgrader autograde and grader autograde --jobs 2,4); Lab 05 throughput ratios; batch on 1 and 2 Celery workers
	$(PY) tests/bench/bench_grading.py
	$(PY) tests/bench/bench_batch.py
	$(PY) tests/bench/bench_lab05.py
	$(PY) tests/bench/bench_distributed.py
	$(MAKE) --no-print-directory determinism

N ?= 5
J ?= 2
determinism: install ## Grade every solution and kept submission N times; flag any score that varies: [LAB=..] [N=5] [J=2]
	$(PY) tests/bench/determinism.py -n $(N) -j $(J) $(if $(filter-out file,$(origin LAB)),--lab $(LAB))

clean: ## Remove leftover grading containers and caches (keeps .venv and workspace/)
	-$(PY) -m grader clean
	rm -rf .pytest_cache build
