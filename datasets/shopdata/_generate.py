"""A deterministic, streaming generator of the Duck Shop's rows.

Everything random comes from one ``random.Random(seed)`` and from Faker instances seeded
from the same seed, never from global state: the same (orders, seed) always gives the
same rows. Rows are produced in batches, so memory stays small for millions of orders
(only one float per customer is kept, to pick returning customers).
"""

from __future__ import annotations

import random
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from faker import Faker

from ._catalogue import CATALOGUE, PRICE_CHANGE_AT, old_price_cents

DEFAULT_SEED = 42
DEFAULT_ORDERS = 2_000

# Two years of trading; the data is a snapshot taken at END (exclusive), not "now".
START = datetime(2024, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)

Row = dict[str, object]
Batch = tuple[str, list[Row]]


def _weighted(weights: dict) -> tuple[tuple, tuple[float, ...]]:
    """{value: weight} -> (values, cumulative weights), ready for Random.choices()."""
    return tuple(weights), tuple(accumulate(weights.values()))


MONTH_FACTOR = (0.8, 0.8, 0.9, 0.9, 0.95, 0.9, 0.85, 0.85, 0.95, 1.0, 1.4, 2.4)  # Jan..Dec
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 12, 12, 10, 7, 4)
# (Faker locale, country code, share of customers). Not it_IT: in Faker 40.54 its city()
# picks from a list built from a set, so its output changes with PYTHONHASHSEED.
LOCALES = (
    ("en_US", "US", 30),
    ("en_GB", "GB", 14),
    ("de_DE", "DE", 18),
    ("fr_FR", "FR", 10),
    ("nl_NL", "NL", 7),
    ("es_ES", "ES", 6),
    ("pt_PT", "PT", 6),
    ("pl_PL", "PL", 5),
    ("sv_SE", "SE", 4),
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved: nobody's real address
NEW_CUSTOMER_RATE = 0.18  # share of orders placed by a first-time customer
BROWSER_RATE = 0.12  # a new customer brings along an account that never orders
LOYALTY = (1.6, 20.0)  # Pareto shape and cap of customers' order weights: a few order far more
ITEMS_PER_ORDER = _weighted({1: 50, 2: 25, 3: 13, 4: 7, 5: 5})
QUANTITIES = _weighted({1: 70, 2: 17, 3: 6, 4: 3, 5: 2, 10: 0.8, 12: 0.5, 15: 0.4, 20: 0.3})
METHODS = _weighted({"card": 70, "paypal": 25, "bank_transfer": 5})  # schema.PAYMENT_METHODS
HOURS = _weighted(dict(enumerate(HOUR_WEIGHTS)))
# Order status by age: recent orders are still in flight; a few old ones stay pending
# (abandoned checkouts). A cancelled order was refunded, its payment failed, or never paid.
STATUS_NEW = _weighted({"pending": 30, "paid": 62, "cancelled": 8})  # < 2 days old
STATUS_RECENT = _weighted({"paid": 30, "shipped": 63, "cancelled": 7})  # < 5 days old
STATUS_OLD = _weighted({"shipped": 92.5, "cancelled": 6.5, "pending": 1})
CANCELLED_PAYMENT = _weighted({"refunded": 40, "failed": 35, None: 25})


def generate(*, orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED, batch_size: int = 10_000) -> Iterator[Batch]:
    """Yield ``(table_name, rows)`` batches, parents before children.

    Products come first, then for every ``batch_size`` orders: the customers who signed up
    meanwhile, the orders, their items and their payments. Rows are dicts keyed by column.
    """
    if orders < 0 or batch_size < 1:
        raise ValueError("orders must be >= 0 and batch_size >= 1")
    shop = _Shop(seed)
    yield (
        "products",
        [
            {
                "id": i,
                "sku": p.sku,
                "name": p.name,
                "category": p.category,
                "price_cents": p.price_cents,
                "stock": p.stock,
            }
            for i, p in enumerate(CATALOGUE, start=1)
        ],
    )
    batch: dict[str, list[Row]] = {"customers": [], "orders": [], "order_items": [], "payments": []}
    for timestamp in shop.order_times(orders):
        shop.order(timestamp, batch)
        if len(batch["orders"]) >= batch_size:
            yield from _flush(batch)
    yield from _flush(batch)


def _flush(batch: dict[str, list[Row]]) -> Iterator[Batch]:
    for table, rows in batch.items():
        if rows:
            yield table, rows
            batch[table] = []


class _Shop:
    """The generator's state: its random sources and the customers seen so far."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers = []
        for locale, country, _ in LOCALES:
            fake = Faker(locale, use_weighting=False)  # uniform picks: 10x faster, still real names
            fake.seed_instance(f"{seed}:{locale}")  # per instance, never Faker's shared random
            self.fakers.append((fake, country))
        self.locale_cum = tuple(accumulate(share for *_, share in LOCALES))
        # Cumulative order weights of customers 1..n: returning customers are picked in
        # proportion to a heavy-tailed (Pareto) weight, so a few order much more than others.
        self.customer_cum = array("d")
        self.next_ids = {"orders": 1, "order_items": 1, "payments": 1}
        # Cumulative product weights per month: Zipf-like popularity, seasonal ducks in season.
        self.product_cum = {}
        for month in range(1, 13):
            total, cum = 0.0, []
            for p in CATALOGUE:
                season = 1.0 if p.season is None else (6.0 if p.season == month else 0.1)
                total += p.popularity * season
                cum.append(total)
            self.product_cum[month] = cum

    def order_times(self, n: int) -> Iterator[int]:
        """n order timestamps (epoch seconds, ascending) with growth, seasons and weekdays."""
        rng, days = self.rng, (END - START).days
        weights = []
        for d in range(days):
            day = START + timedelta(days=d)
            w = (1 + 1.5 * d / days) * MONTH_FACTOR[day.month - 1]
            w *= 1.2 if day.weekday() >= 5 else 1.0
            if day.month == 11 and day.weekday() == 4 and 22 <= day.day <= 28:
                w *= 3  # Black Friday
            if day.month == 12 and day.day >= 25:
                w *= 0.5  # the presents are unwrapped
            weights.append(w * rng.lognormvariate(0, 0.25))
        start = int(START.timestamp())
        for d, count in enumerate(_allocate(n, weights)):
            hours = rng.choices(HOURS[0], cum_weights=HOURS[1], k=count)
            day_start = start + d * 86_400
            yield from sorted(day_start + h * 3600 + rng.randrange(3600) for h in hours)

    def customer(self, signed_up: int, weight: float) -> Row:
        rng = self.rng
        fake, country = rng.choices(self.fakers, cum_weights=self.locale_cum)[0]
        first, last = fake.first_name(), fake.last_name()
        self.customer_cum.append((self.customer_cum[-1] if self.customer_cum else 0.0) + weight)
        cid = len(self.customer_cum)
        given, family = _ascii(first), _ascii(last)
        local = rng.choice((f"{given}.{family}{cid}", f"{given}_{family}{cid}", f"{given[:1]}{family}{cid}"))
        return {
            "id": cid,
            "email": f"{local}@{rng.choice(EMAIL_DOMAINS)}",
            "name": f"{first} {last}",
            "city": fake.city(),
            "country": country,
            "created_at": _utc(max(signed_up, int(START.timestamp()))),
        }

    def order(self, t: int, batch: dict[str, list[Row]]) -> None:
        rng = self.rng
        if not self.customer_cum or rng.random() < NEW_CUSTOMER_RATE:
            new = self.customer(t - rng.randrange(60, 3600), min(rng.paretovariate(LOYALTY[0]), LOYALTY[1]))
            batch["customers"].append(new)
            customer_id = new["id"]
            if rng.random() < BROWSER_RATE:
                batch["customers"].append(self.customer(t - rng.randrange(3600), 0.0))
        else:
            customer_id = bisect_right(self.customer_cum, rng.random() * self.customer_cum[-1]) + 1

        created = _utc(t)
        order_id = self._next("orders")
        cum = self.product_cum[created.month]
        n_items, product_indexes = self.pick(ITEMS_PER_ORDER), list[int]()
        while len(product_indexes) < n_items:  # distinct products, one line each
            p = bisect_right(cum, rng.random() * cum[-1])
            if p not in product_indexes:
                product_indexes.append(p)
        total = 0
        for p in product_indexes:
            price = CATALOGUE[p].price_cents
            if created < PRICE_CHANGE_AT:
                price = old_price_cents(price)
            quantity = self.pick(QUANTITIES)
            total += quantity * price
            batch["order_items"].append(
                {
                    "id": self._next("order_items"),
                    "order_id": order_id,
                    "product_id": p + 1,
                    "quantity": quantity,
                    "unit_price_cents": price,
                }
            )

        status, payment_status = self.statuses(t)
        batch["orders"].append(
            {
                "id": order_id,
                "customer_id": customer_id,
                "status": status,
                "created_at": created,
                "total_cents": total,
            }
        )
        if payment_status is not None:
            paid_at = min(t + rng.randrange(3, 600), int(END.timestamp()) - 1)
            batch["payments"].append(
                {
                    "id": self._next("payments"),
                    "order_id": order_id,
                    "status": payment_status,
                    "method": self.pick(METHODS),
                    "amount_cents": total,
                    "created_at": _utc(paid_at),
                }
            )

    def statuses(self, t: int) -> tuple[str, str | None]:
        """(order status, payment status or None) for an order placed at t."""
        age_days = (END.timestamp() - t) / 86_400
        status = self.pick(STATUS_NEW if age_days < 2 else STATUS_RECENT if age_days < 5 else STATUS_OLD)
        if status in ("paid", "shipped"):
            return status, "captured"
        if status == "cancelled":
            return status, self.pick(CANCELLED_PAYMENT)
        return status, None

    def pick(self, choice: tuple[tuple, tuple[float, ...]]):
        values, cum_weights = choice
        return self.rng.choices(values, cum_weights=cum_weights)[0]

    def _next(self, table: str) -> int:
        self.next_ids[table] += 1
        return self.next_ids[table] - 1


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split total into integer parts proportional to weights (largest remainder)."""
    s = sum(weights)
    exact = [total * w / s for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _ascii(name: str) -> str:
    """'Łukasz' -> 'lukasz', 'Strauß' -> 'strauss', "O'Connor" -> 'oconnor'."""
    name = name.lower().replace("ß", "ss").replace("ł", "l").replace("ø", "o").replace("æ", "ae")
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in plain if c.isalnum()) or "duckfan"


def _utc(epoch_seconds: int) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, UTC)
