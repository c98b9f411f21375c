"""Token buckets keyed by client IP or subject, bounded in memory."""

import math
import time
from collections import OrderedDict

MAX_KEYS = 100_000


class TokenBuckets:
    def __init__(self, *, rate: float, burst: int, max_keys: int = MAX_KEYS) -> None:
        self.rate = rate
        self.burst = float(max(burst, 1))
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, *, now: float | None = None) -> int | None:
        """Take one token from ``key``'s bucket: ``None`` if allowed, else seconds to wait."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return None if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
