"""The Redis channel layer as configured: timeouts and a connection pool that waits."""

import asyncio

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels_redis.core import RedisChannelLayer as StockRedisChannelLayer
from django.conf import settings
from redis.exceptions import MaxConnectionsError

from realtime.layers import RedisChannelLayer

pytestmark = pytest.mark.redis


def storm(layer, sockets: int) -> None:
    async def join_all():
        try:
            await asyncio.gather(*(layer.group_add("storm", f"specific.test!{index}") for index in range(sockets)))
            await asyncio.gather(*(layer.group_discard("storm", f"specific.test!{index}") for index in range(sockets)))
        finally:
            await layer.flush()

    async_to_sync(join_all)()


def test_a_connect_storm_waits_for_pool_connections_instead_of_failing():
    storm(RedisChannelLayer(hosts=[settings.REDIS_URL], prefix="storm-test", max_connections=3), sockets=60)


def test_the_stock_pool_refuses_past_its_limit_which_is_why_the_layer_is_subclassed():
    stock = StockRedisChannelLayer(hosts=[{"address": settings.REDIS_URL, "max_connections": 3}], prefix="storm-test")
    with pytest.raises(MaxConnectionsError):
        storm(stock, sockets=60)


def test_the_configured_layer_reads_longer_than_it_blocks_and_pools_generously():
    config = settings.CHANNEL_LAYERS["default"]
    assert config["BACKEND"] == "realtime.layers.RedisChannelLayer"
    assert config["CONFIG"]["hosts"][0]["socket_timeout"] > RedisChannelLayer.brpop_timeout
    assert config["CONFIG"]["max_connections"] >= 100


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("send_loop", [True, False])
def test_both_send_paths_deliver_the_same_group_message(settings, send_loop):
    from channels.layers import get_channel_layer

    from accounts.tests.factories import UserFactory
    from realtime.services import EVENT_HANDLER, publish, user_group

    settings.REALTIME_SEND_LOOP = send_loop
    user = UserFactory()

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_group(user.id), channel)
        message = await sync_to_async(publish)(user.id, "budget_alert", {"spent": "80.10"})
        received = await asyncio.wait_for(layer.receive(channel), timeout=10)
        await layer.group_discard(user_group(user.id), channel)
        return message, received

    message, received = async_to_sync(scenario)()
    assert received["type"] == EVENT_HANDLER
    assert received["event"] == message
    assert received["stored"] is True
