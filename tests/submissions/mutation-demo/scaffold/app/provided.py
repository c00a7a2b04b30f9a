"""Provided code, the same in the scaffold: never mutated."""

GREETING_REPEAT = 2


def greeting() -> str:
    return "hello " * GREETING_REPEAT
