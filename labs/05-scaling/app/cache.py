"""Products: where reads and writes go. Today: straight to the catalogue, every time.

Make it cache-aside in Redis (README, 'Caching'): shared by every process, entries under
``product:{id}`` with a jittered TTL, one catalogue query however many requests miss at once, and
never older than an acknowledged write.
"""

from redis.asyncio import Redis  # noqa: F401  (the cache lives in Redis)
from redis.exceptions import RedisError  # noqa: F401  (Redis down: read through to the catalogue)

from app.clients import BlockingCatalogue
from app.core.config import Settings
from app.core.problems import Problem  # noqa: F401  (503 when a request waited too long for another's load)
from app.schemas import Product, ProductUpdate


def product_key(product_id: int) -> str:
    return f"product:{product_id}"


class ProductCache:
    def __init__(self, redis: Redis, catalogue: BlockingCatalogue, settings: Settings):
        self.redis, self.catalogue, self.settings = redis, catalogue, settings

    async def get(self, product_id: int) -> Product:
        # TODO: look in Redis first; on a miss, load once (a lock in Redis) and store with a jittered TTL.
        return self.catalogue.product(product_id)  # blocks the event loop for the whole query

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        # TODO: after the write, no process may serve the old version - not even a read that was
        #       already loading it (README, 'Caching').
        return self.catalogue.update(product_id, changes)
