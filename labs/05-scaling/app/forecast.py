"""The price forecast: a Monte Carlo simulation, pure Python, CPU-bound on purpose (provided).

``forecast()`` holds the CPU (and the GIL) for as long as it runs: about ``paths * days`` random
draws. Where it runs - in the event loop, in a thread, in another process - is your decision.
"""

import random


def forecast(price_cents: int, days: int, paths: int, seed: int) -> dict[str, int]:
    """Simulate ``paths`` random walks of the price over ``days`` days (2% daily volatility) and
    return the 5th, 50th and 95th percentile of the final prices, in cents. The same arguments
    give the same answer, in any process."""
    rng = random.Random(seed)
    finals = []
    for _ in range(paths):
        price = float(price_cents)
        for _ in range(days):
            price *= 1.0 + rng.gauss(0.0, 0.02)
        finals.append(price)
    finals.sort()

    def percentile(p: int) -> int:
        return round(finals[min(len(finals) - 1, len(finals) * p // 100)])

    return {"p5_cents": percentile(5), "p50_cents": percentile(50), "p95_cents": percentile(95)}
