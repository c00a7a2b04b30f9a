"""The grader's one exception type."""


class GraderError(Exception):
    """A problem the grader reports in one line (exit status 2)."""
