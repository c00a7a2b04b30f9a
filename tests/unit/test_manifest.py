import pytest

from grader import GraderError, load_manifest
from grader._backends._common import sandbox_config
from grader._manifest import lab_ids


def write_manifest(tmp_path, text, lab="demo"):
    (tmp_path / lab).mkdir()
    (tmp_path / lab / "manifest.toml").write_text(text)
    return tmp_path


MINIMAL = """
title = "Demo"
[[parts]]
id = "one"
title = "Part one"
  [[parts.tests]]
  name = "test_a.py::test_x"
  hint = "read the lesson"
  points = 2
  [[parts.tests]]
  name = "test_a.py::test_y"
  hint = "read it again"
"""


def test_points_add_up(tmp_path):
    manifest = load_manifest("demo", write_manifest(tmp_path, MINIMAL))
    assert manifest.max_score == 3
    assert [p.points for p in manifest.parts] == [3]
    assert manifest.limits.timeout_s > 0 and manifest.services == ()


def test_a_test_name_covers_its_parametrisations(tmp_path):
    spec = load_manifest("demo", write_manifest(tmp_path, MINIMAL)).parts[0].tests[0]
    assert spec.matches("test_a.py::test_x") and spec.matches("test_a.py::test_x[case-1]")
    assert not spec.matches("test_a.py::test_x_more")


def test_unknown_lab_names_the_known_ones(tmp_path):
    with pytest.raises(GraderError, match=r"unknown lab 'nope' \(known labs: demo\)"):
        load_manifest("nope", write_manifest(tmp_path, MINIMAL))


@pytest.mark.parametrize("lab", ["../00-hello", "00-hello/../00-hello"])
def test_lab_ids_cannot_walk_out_of_the_suites(lab):
    with pytest.raises(GraderError, match="unknown lab"):
        load_manifest(lab)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("title = ", "invalid manifest"),
        ("parts = []", "invalid manifest"),
        (MINIMAL + "[learner]\nservices = ['mysql']\n", "unknown services"),
        (MINIMAL + "[limits]\nmemroy_mb = 3\n", "invalid manifest"),
        ("groups = [['test_a.py'], ['test_a.py']]\n" + MINIMAL, "test_a.py in more than one group"),
        ("groups = [['test_b.py']]\n" + MINIMAL, r"every test file once \(missing test_a.py; unknown test_b.py\)"),
        (
            "groups = [['test_a.py'], [], [], [], []]\n" + MINIMAL,
            r"5 pytest processes \(groups, and alone\); at most 4",
        ),
        ("alone = ['test_a.py']\ngroups = [[], [], [], []]\n" + MINIMAL, "5 pytest processes"),
        ("alone = ['test_a.py']\n" + MINIMAL, "alone needs groups"),
        ("alone = ['test_a.py']\ngroups = [['test_a.py']]\n" + MINIMAL, "test_a.py in more than one group"),
    ],
)
def test_broken_manifests_are_one_line_errors(tmp_path, text, problem):
    with pytest.raises(GraderError, match=problem):
        load_manifest("demo", write_manifest(tmp_path, text))


def test_groups_and_the_tests_each_pytest_process_is_given(tmp_path):
    text = "groups = [['test_a.py'], ['test_b.py']]\n" + MINIMAL.replace('"test_a.py::test_y"', '"test_b.py::test_y"')
    manifest = load_manifest("demo", write_manifest(tmp_path, text))
    assert manifest.groups == (("test_a.py",), ("test_b.py",))
    cfg = sandbox_config(
        manifest, suite_dir="s", submission_dir="u", private_dir="p", scratch_dir="/tmp", learner_uid=7
    )
    runs = [(run.group, run.learner_uid, run.scratch_dir, run.pids_path.name, tests) for run, tests in cfg.runs()]
    assert runs == [
        (0, 7, "/tmp/group-0", "learner-0.pids", ("test_a.py",)),
        (1, 8, "/tmp/group-1", "learner-1.pids", ("test_b.py",)),
    ]
    partial = sandbox_config(
        manifest.select(["one"]), suite_dir="s", submission_dir="u", private_dir="p", scratch_dir="t"
    )
    assert [tests for _, tests in partial.runs()] == [("test_a.py::test_x",), ("test_b.py::test_y",)]
    text = "alone = ['test_a.py']\ngroups = [['test_b.py']]\n" + TWO_PARTS
    alone = load_manifest("alone", write_manifest(tmp_path, text, lab="alone"))
    cfg = sandbox_config(alone, suite_dir="s", submission_dir="u", private_dir="p", scratch_dir="/tmp", learner_uid=7)
    stages = [[(run.group, run.learner_uid, run.scratch_dir, tests) for run, tests in stage] for stage in cfg.stages()]
    assert stages == [[(0, 7, "/tmp/group-0", ("test_a.py",))], [(1, 8, "/tmp/group-1", ("test_b.py",))]]
    assert [run.group for run, _ in cfg.runs()] == [0, 1], "the alone files first, by themselves, then the groups"
    partial = sandbox_config(alone.select(["two"]), suite_dir="s", submission_dir="u", private_dir="p", scratch_dir="t")
    assert [[run.group for run, _ in stage] for stage in partial.stages()] == [[1]], "only the stages with tests"
    plain = load_manifest("plain", write_manifest(tmp_path, MINIMAL, lab="plain"))
    cfg = sandbox_config(plain, suite_dir="s", submission_dir="u", private_dir="p", scratch_dir="/tmp", learner_uid=7)
    assert cfg.runs() == [(cfg, ())], "no groups: one pytest process, the whole suite, as configured"


def test_every_shipped_lab_manifest_loads():
    assert "00-hello" in lab_ids()
    for lab in lab_ids():
        manifest = load_manifest(lab)
        assert manifest.max_score > 0
        assert all(test.hint.strip() for _, test in manifest.tests), f"{lab}: every test needs a hint"


TWO_PARTS = (
    MINIMAL
    + """
[[parts]]
id = "two"
title = "Part two"
  [[parts.tests]]
  name = "test_b.py::test_z"
  hint = "the other section"
"""
)


def test_select_keeps_only_the_parts_asked_for(tmp_path):
    manifest = load_manifest("demo", write_manifest(tmp_path, TWO_PARTS))
    only_two = manifest.select(["two"])
    assert (only_two.partial, [p.id for p in only_two.parts], only_two.max_score) == (True, ["two"], 1)
    assert not manifest.partial and manifest.max_score == 4
    with pytest.raises(GraderError, match="demo has no part 'three' \\(its parts: one, two\\)"):
        manifest.select(["three"])
