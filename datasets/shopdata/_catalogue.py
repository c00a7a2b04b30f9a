"""The Duck Shop's product catalogue: hand-written, the same for every seed.

Each entry is (sku, name, category, price_cents, stock, popularity, season).
``popularity`` is a relative weight used by the generator (a few hits dominate sales);
``season`` is the month (1-12) in which a seasonal duck sells, or None.
Neither is stored in the database. Lab 00 relies on the first five entries.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple


class Product(NamedTuple):
    sku: str
    name: str
    category: str
    price_cents: int
    stock: int
    popularity: float
    season: int | None = None


CATALOGUE: tuple[Product, ...] = (
    Product("DUCK-001", "Classic Yellow Duck", "classic", 499, 1200, 100),
    Product("DUCK-002", "Pirate Duck", "costume", 899, 340, 55),
    Product("DUCK-003", "Astronaut Duck", "profession", 1299, 120, 40),
    Product("DUCK-004", "Wizard Duck", "fantasy", 1099, 85, 35),
    Product("DUCK-005", "Giant Bath Duck", "giant", 2499, 24, 22),
    Product("DUCK-006", "Mini Duck Five-Pack", "classic", 699, 500, 30),
    Product("DUCK-007", "Rubber Duck Debugger", "profession", 999, 260, 45),
    Product("DUCK-008", "Firefighter Duck", "profession", 949, 90, 12),
    Product("DUCK-009", "Doctor Duck", "profession", 949, 75, 10),
    Product("DUCK-010", "Chef Duck", "profession", 899, 60, 9),
    Product("DUCK-011", "Detective Duck", "profession", 999, 0, 8),
    Product("DUCK-012", "Ninja Duck", "costume", 899, 150, 18),
    Product("DUCK-013", "Superhero Duck", "costume", 999, 110, 16),
    Product("DUCK-014", "Viking Duck", "costume", 1099, 45, 7),
    Product("DUCK-015", "Cowboy Duck", "costume", 899, 38, 6),
    Product("DUCK-016", "Mermaid Duck", "fantasy", 1099, 70, 11),
    Product("DUCK-017", "Unicorn Duck", "fantasy", 1199, 95, 14),
    Product("DUCK-018", "Dragon Duck", "fantasy", 1299, 1, 9),
    Product("DUCK-019", "Pumpkin Duck", "seasonal", 799, 0, 5, 10),
    Product("DUCK-020", "Santa Duck", "seasonal", 999, 400, 8, 12),
    Product("DUCK-021", "Reindeer Duck", "seasonal", 899, 250, 5, 12),
    Product("DUCK-022", "Snowman Duck", "seasonal", 899, 180, 4, 12),
    Product("DUCK-023", "Easter Bunny Duck", "seasonal", 799, 60, 3, 4),
    Product("DUCK-024", "Valentine Duck", "seasonal", 799, 40, 3, 2),
    Product("DUCK-025", "Glow-in-the-Dark Duck", "novelty", 749, 200, 10),
    Product("DUCK-026", "Colour-Changing Duck", "novelty", 799, 140, 9),
    Product("DUCK-027", "Squeaky Disco Duck", "novelty", 849, 2, 5),
    Product("DUCK-028", "Gold-Plated Duck", "premium", 4999, 5, 2),
    Product("DUCK-029", "Hand-Carved Wooden Duck", "premium", 3499, 12, 2),
    Product("DUCK-030", "Natural Rubber Eco Duck", "eco", 1199, 300, 12),
    Product("DUCK-031", "Ocean Plastic Duck", "eco", 1099, 220, 7),
    Product("DUCK-032", "Giant Inflatable Pool Duck", "giant", 3999, 18, 4),
    Product("DUCK-033", "Duck Family Set", "classic", 1999, 65, 6),
    Product("DUCK-034", "Baby's First Duck", "baby", 599, 410, 13),
    Product("DUCK-035", "Bath Thermometer Duck", "baby", 1299, 130, 7),
    Product("DUCK-036", "Football Duck", "sport", 849, 90, 6),
    Product("DUCK-037", "Surfer Duck", "sport", 899, 70, 5),
    Product("DUCK-038", "Yoga Duck", "sport", 849, 55, 4),
    Product("DUCK-039", "Numbered Racing Duck", "sport", 399, 1500, 9),
    Product("DUCK-040", "Mystery Duck", "novelty", 599, 999, 5),
)

# On this date the shop raised its prices to the catalogue prices above; orders placed
# before it were charged old_price_cents(). This is why order_items.unit_price_cents exists.
PRICE_CHANGE_AT = datetime(2025, 3, 1, tzinfo=UTC)


def old_price_cents(price_cents: int) -> int:
    """The price before PRICE_CHANGE_AT: about 10% less, ending in 99 (899 -> 799)."""
    return max(99, (price_cents * 9 // 10 - 99) // 100 * 100 + 99)
