"""The ducks the shop sells today, with their prices in integer cents (provided; no TODO here)."""

PRICES_CENTS: dict[str, int] = {
    "DUCK-001": 499,  # Classic Yellow Duck
    "DUCK-002": 899,  # Pirate Duck
    "DUCK-003": 1299,  # Astronaut Duck
    "DUCK-004": 1099,  # Wizard Duck
    "DUCK-005": 2499,  # Giant Bath Duck
}
