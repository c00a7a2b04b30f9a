"""The grader's exception types."""


class GraderError(Exception):
    """A problem the grader reports in one line (exit status 2)."""


class InfrastructureError(GraderError):
    """The grading machinery failed, not the submission: Docker is unavailable or broke a run off,
    the grading image is missing. No grade comes of it; grading again once it is fixed may succeed.
    ``grade()`` turns it into ``Results`` with ``infrastructure_failure`` set."""
