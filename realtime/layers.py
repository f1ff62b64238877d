"""channels-redis' core layer with a blocking connection pool.

redis-py 8's asyncio pool refuses a command once `max_connections` (default 100) are in use:
MaxConnectionsError, where redis-py 4/5 opened another connection. A connect storm (a deploy, a
Redis restart: a thousand sockets re-joining their groups at once) then failed sockets with 500.
A blocking pool makes the excess wait for a free connection instead (at most `pool_timeout`)."""

from channels_redis.core import RedisChannelLayer as CoreRedisChannelLayer
from redis import asyncio as aioredis


class RedisChannelLayer(CoreRedisChannelLayer):
    def __init__(self, *args, max_connections: int = 200, pool_timeout: float = 20, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self.pool_timeout = pool_timeout

    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:
            return super().create_pool(index)  # sentinels and host/port dicts: the stock pool
        address = host.pop("address")
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.max_connections, timeout=self.pool_timeout, **host
        )
