"""Products, cache-aside in Redis, invalidated with a generation counter per product.

A write bumps ``gen:product:{id}`` and deletes the entry. A miss notes the generation before it
loads and stores what it loaded only if the generation is still the same (one Lua script), so a
read that loaded before a write can't store the old version after it. One loader per product
across processes: a lock in Redis; the others poll the cache for at most POOL_TIMEOUT_SECONDS.
"""

import asyncio
import random
import time
import uuid

from app.clients import Catalogue
from app.core.config import Settings
from app.core.problems import Problem
from app.schemas import Product, ProductUpdate
from redis.asyncio import Redis
from redis.exceptions import RedisError

STORE_IF_SAME_GENERATION = """
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


def generation_key(product_id: int) -> str:
    return f"gen:product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, catalogue: Catalogue, settings: Settings):
        self.redis, self.catalogue, self.settings = redis, catalogue, settings
        self._store_if_same = redis.register_script(STORE_IF_SAME_GENERATION)

    async def get(self, product_id: int) -> Product:
        try:
            cached = await self.redis.get(product_key(product_id))
            if cached is not None:
                return Product.model_validate_json(cached)
            return await self._load(product_id)
        except RedisError:
            return await self.catalogue.product(product_id)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        product = await self.catalogue.update(product_id, changes)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                await pipe.incr(generation_key(product_id)).delete(product_key(product_id)).execute()
        except RedisError:
            pass
        return product

    async def _load(self, product_id: int) -> Product:
        lock, token = f"loading:{product_id}", uuid.uuid4().hex
        deadline = time.monotonic() + self.settings.pool_timeout_s
        while not await self.redis.set(lock, token, nx=True, px=10_000):
            await asyncio.sleep(0.02)
            cached = await self.redis.get(product_key(product_id))
            if cached is not None:
                return Product.model_validate_json(cached)
            if time.monotonic() > deadline:
                raise Problem(503, "busy", "Busy", "The product is being loaded.", {"Retry-After": "1"})
        try:
            if (cached := await self.redis.get(product_key(product_id))) is not None:
                return Product.model_validate_json(cached)  # stored just before we took the lock
            generation = (await self.redis.get(generation_key(product_id)) or b"0").decode()
            product = await self.catalogue.product(product_id)
            ttl_ms = int(self.settings.cache_ttl_s * random.uniform(1.0, 1.1) * 1000)
            await self._store_if_same(
                keys=[product_key(product_id), generation_key(product_id)],
                args=[product.model_dump_json(), generation, ttl_ms],
            )
            return product
        finally:
            if await self.redis.get(lock) == token.encode():
                await self.redis.delete(lock)
