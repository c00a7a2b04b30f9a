"""Settings, read from the environment when the app starts (never at import time)."""

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    redis_url: str
    catalogue_url: str
    recommendations_url: str
    cache_ttl_s: float  # a cached product lives this long, plus a random 0-10% (the jitter)
    rate_limit: int  # requests per API key...
    rate_window_s: int  # ...in any window of this many seconds
    pool_size: int  # connections to the catalogue, per process
    pool_timeout_s: float  # the longest a request waits for the catalogue before it is shed with a 503
    recommendations_timeout_s: float  # then recommendations are skipped ("degraded")
    redis_timeout_s: float  # the longest a Redis call may take, retries included
    forecast_paths: int  # the size of the price simulation (CPU time per forecast)
    forecast_workers: int  # processes that run forecasts
    catalogue_timeout_s: float = 5.0  # a catalogue call that takes longer has failed


def load_settings() -> Settings:
    env = os.environ.get
    return Settings(
        redis_url=env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        catalogue_url=env("CATALOGUE_URL", "http://127.0.0.1:8001").rstrip("/"),
        recommendations_url=env("RECOMMENDATIONS_URL", "http://127.0.0.1:8001").rstrip("/"),
        cache_ttl_s=float(env("CACHE_TTL_SECONDS", "60")),
        rate_limit=int(env("RATE_LIMIT", "100")),
        rate_window_s=int(env("RATE_WINDOW_SECONDS", "60")),
        pool_size=int(env("POOL_SIZE", "10")),
        pool_timeout_s=float(env("POOL_TIMEOUT_SECONDS", "1")),
        recommendations_timeout_s=float(env("RECOMMENDATIONS_TIMEOUT_SECONDS", "0.5")),
        redis_timeout_s=float(env("REDIS_TIMEOUT_SECONDS", "0.5")),
        forecast_paths=int(env("FORECAST_PATHS", "4000")),
        forecast_workers=int(env("FORECAST_WORKERS", str(os.cpu_count() or 2))),
    )
