"""What each Lab 00 submission must score, part by part - shared by the local and Docker tests.

Parts: health (3), quotes (4), validation (4), pricing (6).
"""

FULL = {"health": 3, "quotes": 4, "validation": 4, "pricing": 6}
ZERO = dict.fromkeys(FULL, 0)
# quote_total broken or hanging: quotes use it (all but the 404 test), and so does the last step of
# the hostile-input test
PRICING_BROKEN = {"health": 3, "quotes": 1, "validation": 3, "pricing": 0}
APP_BROKEN = {"health": 0, "quotes": 0, "validation": 0, "pricing": 6}

BAD_INPUT = {
    # overlay: (parts, a phrase every failing test's message contains)
    "bad-syntax": (APP_BROKEN, "your app could not start: SyntaxError"),
    "bad-import": (APP_BROKEN, "No module named 'flask_that_is_not_installed'"),
    "bad-import-hang": (APP_BROKEN, "did not start within 30 s"),
    "bad-crash": ({"health": 3, "quotes": 0, "validation": 3, "pricing": 6}, "was killed by signal SIGSEGV"),
}


def part_scores(results) -> dict:
    return {part.id: part.score for part in results.parts}


def failing_messages(results) -> list[str]:
    return [t.message for t in results.tests if t.status != "passed"]
