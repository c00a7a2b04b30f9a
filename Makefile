# The course's commands. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LAB ?= 00-hello
SUBMISSION ?= labs/$(LAB)
JUPYTER_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install lab check test grade image bench workspace clean release

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  Variables: LAB=$(LAB) SUBMISSION=labs/<LAB> (grade), BASE_IMAGE (image)"

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv and install the course (once)

workspace: install ## Make your own copies of new lessons in workspace/ (never overwrites yours)
	@$(PY) -m grader workspace

lab: workspace ## Start JupyterLab on the welcome lesson (no Docker needed)
	$(VENV)/bin/jupyter lab --notebook-dir=. $(if $(filter 0,$(shell id -u)),--allow-root) $(JUPYTER_ARGS) workspace/00-welcome.ipynb

test: install ## Run a lab's public tests locally: make test LAB=00-hello
	cd $(SUBMISSION) && $(abspath $(PY)) -m pytest tests -q -p no:cacheprovider

grade: install ## Run a lab's hidden suite (in a container if Docker answers): make grade LAB=00-hello [SUBMISSION=dir]
	$(PY) -m grader grade $(LAB) --submission $(SUBMISSION)

image: install ## Build the grading image (no-op when up to date; BASE_IMAGE=... to choose the base)
	$(PY) -m grader image

release: install ## The student edition: nbgrader releases in course/release/, and build/student-edition/*.tar.gz
	$(PY) -m grader release

check: install ## The project's own test suite (what CI runs)
	$(PY) -m pytest

bench: install ## Grading speed, as tables: one submission per backend; a class of 50 (batch -j 1,2,4 and nbgrader)
	$(PY) tests/bench/bench_grading.py
	$(PY) tests/bench/bench_batch.py

clean: ## Remove leftover grading containers and caches (keeps .venv and workspace/)
	-$(PY) -m grader clean
	rm -rf .pytest_cache build
