"""Products, cache-aside in Redis: shared by every process, never older than an acknowledged write.

- Reads look in Redis first (``product:{id}``, JSON); a miss loads from the catalogue and stores
  the product for CACHE_TTL_SECONDS plus a random 0-10%, so entries cached together don't all
  expire together.
- A hundred concurrent misses of one product make one catalogue query: the first takes a lock in
  Redis (``SET NX PX``) and loads; the others poll the cache until the product is there, and give
  up with a 503 after POOL_TIMEOUT_SECONDS.
- A write goes to the catalogue first, then the new version goes into the cache. Every store is a
  compare-and-set on the product's version (a Lua script, atomic in Redis): a slow read that
  loaded the old version before the write can't put it back afterwards.
- Redis down: read and write through to the catalogue, as if there were no cache.
"""

import asyncio
import logging
import random
import time
import uuid

from app.clients import Catalogue
from app.core.config import Settings
from app.core.problems import Problem
from app.schemas import Product, ProductUpdate
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

JITTER = 0.10  # each entry lives TTL * (1 + up to 10%)

# KEYS[1] the product's key; ARGV: the product's JSON, its version, the TTL in ms.
# Store unless the cache already holds this version or a newer one.
STORE_IF_NEWER = """
local cached = redis.call('GET', KEYS[1])
if cached and cjson.decode(cached)['version'] >= tonumber(ARGV[2]) then
    return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
"""

# KEYS[1] the lock; ARGV[1] the token of its holder. Only the holder may unlock.
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, catalogue: Catalogue, settings: Settings):
        self.redis, self.catalogue, self.settings = redis, catalogue, settings
        self._store_if_newer = redis.register_script(STORE_IF_NEWER)
        self._unlock = redis.register_script(UNLOCK)

    async def get(self, product_id: int) -> Product:
        try:
            cached = await self.redis.get(product_key(product_id))
        except RedisError as exc:
            log.warning("Redis unavailable, reading product %s from the catalogue: %s", product_id, exc)
            return await self.catalogue.product(product_id)
        if cached is not None:
            return Product.model_validate_json(cached)
        return await self._load_once(product_id)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        product = await self.catalogue.update(product_id, changes)  # the catalogue first...
        await self._store(product)  # ...then the cache: a reader that loaded the old version loses
        return product

    async def _load_once(self, product_id: int) -> Product:
        """One load per product however many requests miss at once, across every process."""
        lock, token = f"lock:{product_key(product_id)}", uuid.uuid4().hex
        lock_ms = 1000  # a catalogue query takes milliseconds: a second is plenty
        deadline = time.monotonic() + self.settings.pool_timeout_s
        pause = 0.005
        while True:
            try:
                if await self.redis.set(lock, token, nx=True, px=lock_ms):
                    try:
                        # Look again: the last holder may have stored it just before we took the lock.
                        if (cached := await self.redis.get(product_key(product_id))) is not None:
                            return Product.model_validate_json(cached)
                        product = await self.catalogue.product(product_id)
                        await self._store(product)
                        return product
                    finally:
                        await self._unlock(keys=[lock], args=[token])
                cached = await self.redis.get(product_key(product_id))
            except RedisError:
                return await self.catalogue.product(product_id)
            if cached is not None:
                return Product.model_validate_json(cached)  # another request loaded it
            if time.monotonic() > deadline:
                raise Problem(503, "busy", "Try again shortly", "The product is being loaded.", {"Retry-After": "1"})
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def _store(self, product: Product) -> None:
        ttl_ms = int(self.settings.cache_ttl_s * (1 + random.uniform(0, JITTER)) * 1000)
        try:
            await self._store_if_newer(
                keys=[product_key(product.id)], args=[product.model_dump_json(), product.version, ttl_ms]
            )
        except RedisError as exc:
            log.warning("Redis unavailable, product %s not cached: %s", product.id, exc)
