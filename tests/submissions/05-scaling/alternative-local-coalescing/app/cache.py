"""Products, cache-aside in Redis, with misses coalesced inside each process.

Concurrent misses of a product in one process share one catalogue query (an asyncio future), so
there is at most one query per process - N processes, N queries - and nothing to clean up in Redis
if a process dies mid-load. Waiters give up after POOL_TIMEOUT_SECONDS (503). Stores are versioned
with an optimistic transaction (WATCH / MULTI): an older version never replaces a newer one.
"""

import asyncio
import json
import random

from app.clients import Catalogue
from app.core.config import Settings
from app.core.problems import Problem
from app.schemas import Product, ProductUpdate
from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, catalogue: Catalogue, settings: Settings):
        self.redis, self.catalogue, self.settings = redis, catalogue, settings
        self._loading: dict[int, asyncio.Task] = {}

    async def get(self, product_id: int) -> Product:
        try:
            cached = await self.redis.get(product_key(product_id))
        except RedisError:
            return await self.catalogue.product(product_id)
        if cached is not None:
            return Product.model_validate_json(cached)
        task = self._loading.get(product_id)
        if task is None:  # this request loads; the ones that miss meanwhile join it
            task = self._loading[product_id] = asyncio.create_task(self._load(product_id))
            task.add_done_callback(lambda _: self._loading.pop(product_id, None))
            return await asyncio.shield(task)  # a request that goes away doesn't cancel the others' load
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.settings.pool_timeout_s)
        except TimeoutError:
            raise Problem(503, "busy", "Busy", "The product is being loaded.", {"Retry-After": "1"}) from None

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        product = await self.catalogue.update(product_id, changes)
        await self._store(product)
        return product

    async def _load(self, product_id: int) -> Product:
        product = await self.catalogue.product(product_id)
        await self._store(product)
        return product

    async def _store(self, product: Product) -> None:
        key = product_key(product.id)
        ttl_ms = int(self.settings.cache_ttl_s * random.uniform(1.0, 1.1) * 1000)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key)
                        current = await pipe.get(key)
                        if current is not None and json.loads(current)["version"] >= product.version:
                            await pipe.unwatch()
                            return
                        pipe.multi()
                        pipe.set(key, product.model_dump_json(), px=ttl_ms)
                        await pipe.execute()
                        return
                    except WatchError:
                        continue  # someone stored meanwhile: look again
        except RedisError:
            pass
