"""The shop's feature flags (the learner writes this file)."""


def is_open() -> bool:
    raise NotImplementedError


def is_verbose() -> bool:
    raise NotImplementedError
