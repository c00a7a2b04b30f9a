"""The one exception the queue treats specially."""


class PermanentError(Exception):
    """Raised by a handler when retrying cannot help (an order that doesn't exist, a mailbox
    that doesn't exist): the worker dead-letters the job at once instead of retrying it."""
