"""Clients for the two services the shop calls (provided): the catalogue and the recommendations.

Each comes twice: over an ``httpx.AsyncClient`` (``await`` every call; the event loop serves other
requests meanwhile) and over a plain ``httpx.Client`` (every call blocks its thread - and, inside an
``async def``, the whole event loop). Which one you use, and the connection pool and timeouts of
the httpx client you hand it, are your decisions (README, 'Settings').

Errors: ``ProductNotFound`` for an unknown product; anything httpx raises (``httpx.PoolTimeout``
when no pooled connection became free in time, ``httpx.TimeoutException``, ``httpx.ConnectError``...)
passes through unchanged.
"""

import httpx

from app.schemas import Product, ProductUpdate


class ProductNotFound(Exception):
    pass


def _product(response: httpx.Response, product_id: int) -> Product:
    if response.status_code == 404:
        raise ProductNotFound(product_id)
    response.raise_for_status()
    return Product.model_validate_json(response.content)


def _recommendations(response: httpx.Response) -> list[int]:
    response.raise_for_status()
    return [int(i) for i in response.json()["recommendations"]]


class Catalogue:
    """The catalogue service: the shop's products. Slow like a busy database (about 100 ms a query)."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http  # base_url = CATALOGUE_URL

    async def product(self, product_id: int) -> Product:
        return _product(await self.http.get(f"/products/{product_id}"), product_id)

    async def update(self, product_id: int, changes: ProductUpdate) -> Product:
        """Write ``changes``; the answer is the product's new version."""
        body = changes.model_dump(exclude_none=True)
        return _product(await self.http.patch(f"/products/{product_id}", json=body), product_id)


class BlockingCatalogue:
    """The same calls, blocking."""

    def __init__(self, http: httpx.Client):
        self.http = http

    def product(self, product_id: int) -> Product:
        return _product(self.http.get(f"/products/{product_id}"), product_id)

    def update(self, product_id: int, changes: ProductUpdate) -> Product:
        body = changes.model_dump(exclude_none=True)
        return _product(self.http.patch(f"/products/{product_id}", json=body), product_id)


class Recommendations:
    """The recommendations service: "customers who bought this also bought" (about 200 ms a call)."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http  # base_url = RECOMMENDATIONS_URL

    async def for_product(self, product_id: int) -> list[int]:
        return _recommendations(await self.http.get(f"/recommendations/{product_id}"))


class BlockingRecommendations:
    """The same call, blocking."""

    def __init__(self, http: httpx.Client):
        self.http = http

    def for_product(self, product_id: int) -> list[int]:
        return _recommendations(self.http.get(f"/recommendations/{product_id}"))
