"""The shop's feature flags (the learner writes this file)."""


def is_open() -> bool:
    return True


def is_verbose() -> bool:
    return False
