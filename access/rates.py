"""How often a caller may write and an address may try to sign in: moving windows in Redis
(the `limits` library), shared by every web process.

- **Writes**: a person's or a machine's writes through the web (case actions, sign-outs), 60 a
  minute each by default (`write_rate`); the intake is not counted (a feed sends in bursts,
  its records are not orders) nor are a page's own callbacks (reads). A stolen session or
  token cannot cancel the town's cases in a burst.
- **Sign-ins**: 20 tries a minute from one address by default (`sign_in_rate`), whatever names
  they give: the lockout of
  one account (access/users.py) does not stop one address from trying many names, or from
  locking the accounts of others one after another.
"""

from __future__ import annotations

import time

import redis
from limits import RateLimitItem, parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from access.roles import Principal
from core.keys import Keys


class Rates:
    """The windows, in the Redis of ``client`` under the centre's key prefix; ``writes`` and
    ``sign_ins`` as the settings give them (`60/minute`)."""

    def __init__(self, client: redis.Redis, keys: Keys, *, writes: str, sign_ins: str) -> None:
        storage = RedisStorage(
            "redis://", connection_pool=client.connection_pool, key_prefix=f"{keys.prefix}rate"
        )
        self.limiter = MovingWindowRateLimiter(storage)
        self.writes, self.sign_ins = parse(writes), parse(sign_ins)

    def _spend(self, item: RateLimitItem, *who: str) -> float | None:
        """None if allowed (and counted); else the seconds until the window lets one more."""
        if self.limiter.hit(item, *who):
            return None
        reset = self.limiter.get_window_stats(item, *who).reset_time
        return max(1.0, reset - time.time())

    def write(self, who: Principal) -> float | None:
        return self._spend(self.writes, who.kind, who.name)

    def sign_in(self, address: str) -> float | None:
        return self._spend(self.sign_ins, address)
