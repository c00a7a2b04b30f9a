"""Products, cached in a dict of this process (with a TTL and one load per miss): quick to write,
and right - for one process."""

import asyncio
import random
import time

from app.clients import Catalogue
from app.core.config import Settings
from app.schemas import Product, ProductUpdate
from redis.asyncio import Redis

JITTER = 0.10


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, catalogue: Catalogue, settings: Settings):
        self.catalogue, self.settings = catalogue, settings
        self._entries: dict[int, tuple[float, Product]] = {}  # product id -> (expires at, product)
        self._loading: dict[int, asyncio.Future] = {}

    async def get(self, product_id: int) -> Product:
        entry = self._entries.get(product_id)
        if entry and entry[0] > time.monotonic():
            return entry[1]
        if product_id in self._loading:
            return await asyncio.shield(self._loading[product_id])
        future = asyncio.get_running_loop().create_future()
        self._loading[product_id] = future
        try:
            product = await self.catalogue.product(product_id)
            self._store(product)
            future.set_result(product)
            return product
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._loading[product_id]

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        product = await self.catalogue.update(product_id, changes)
        self._store(product)
        return product

    def _store(self, product: Product) -> None:
        current = self._entries.get(product.id)
        if current and current[1].version > product.version:
            return
        ttl = self.settings.cache_ttl_s * (1 + random.uniform(0, JITTER))
        self._entries[product.id] = (time.monotonic() + ttl, product)
