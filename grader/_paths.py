"""Where things live in a checkout of the course."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
COURSE_DIR = REPO_ROOT / "course"
LABS_DIR = REPO_ROOT / "labs"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
DATASETS_DIR = REPO_ROOT / "datasets"
SUITES_DIR = PACKAGE_DIR / "suites"
SCHEMA_PATH = PACKAGE_DIR / "schema" / "results.schema.json"
# Authoring files beside a hidden suite (``grader mutate``): not tests, left out of every export.
MUTATION_REPORT = "MUTATION.md"
MUTATION_EQUIVALENT = "mutation-equivalent.toml"
SUITE_AUTHORING_FILES = frozenset({MUTATION_REPORT, MUTATION_EQUIVALENT})
