"""Forwarding headers name the client only when a trusted proxy sent them: the rate limit,
the request log and the services see that address, never one a caller wrote."""

import pytest

from gateway.clientaddress import TrustedProxies
from hdh_dev.testing import bearer

from .stack import StackFactory


def headers(name: str, value: str) -> list[tuple[bytes, bytes]]:
    return [(name.encode(), value.encode())]


@pytest.mark.parametrize(
    ("peer", "value", "client"),
    [
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("10.1.2.3", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
        ("10.1.2.3", "203.0.113.7, 10.9.9.9", "203.0.113.7"),
        ("10.1.2.3", "10.4.4.4, 10.9.9.9", "10.4.4.4"),
        ("10.1.2.3", "203.0.113.7:4711", "203.0.113.7"),
        ("10.1.2.3", "203.0.113.7, not-an-address, 10.9.9.9", "10.9.9.9"),
        ("10.1.2.3", "", "10.1.2.3"),
    ],
)
def test_the_right_most_untrusted_hop_is_the_client(peer: str, value: str, client: str) -> None:
    proxies = TrustedProxies(["10.0.0.0/8"], header="x-forwarded-for")
    assert proxies.client(peer, headers("x-forwarded-for", value)) == client


def test_the_forwarded_header() -> None:
    proxies = TrustedProxies(["10.0.0.0/8", "fd00::/8"], header="forwarded")
    value = 'for=198.51.100.1, for="[2001:db8::7]:4711";proto=https, for=10.2.2.2'
    assert proxies.client("fd00::1", headers("forwarded", value)) == "2001:db8::7"
    # a trusted proxy that only writes Forwarded: an X-Forwarded-For is the caller's own
    assert proxies.client("10.1.1.1", headers("x-forwarded-for", "198.51.100.1")) == "10.1.1.1"


def test_no_trusted_proxy_by_default() -> None:
    proxies = TrustedProxies([], header="x-forwarded-for")
    assert proxies.client("127.0.0.1", headers("x-forwarded-for", "198.51.100.1")) == "127.0.0.1"


async def test_a_caller_cannot_pick_its_address(make_stack: StackFactory) -> None:
    async with make_stack(
        rate_limit_ip_rate=0.1,
        rate_limit_ip_burst=6,  # the token, the JWKS fetch (discovery, keys), three calls
    ) as stack:
        alice = bearer(await stack.token("alice"))
        statuses = [
            (
                await stack.client.get(
                    "/catalog/echo", headers=alice | {"X-Forwarded-For": f"198.51.100.{n}"}
                )
            ).status_code
            for n in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        assert {h["x-forwarded-for"] for h in stack.calls.headers} == {"127.0.0.1"}


async def test_behind_a_trusted_proxy_each_client_has_its_bucket(make_stack: StackFactory) -> None:
    async with make_stack(
        rate_limit_ip_rate=0.1,
        rate_limit_ip_burst=2,
        trusted_proxies=["127.0.0.0/8"],
    ) as stack:

        async def status(forwarded_for: str) -> int:
            response = await stack.client.get(
                "/catalog/echo", headers={"X-Forwarded-For": forwarded_for}
            )
            return response.status_code

        first = [await status("198.51.100.1, 203.0.113.7") for _ in range(3)]
        other = [await status("203.0.113.8") for _ in range(2)]
        assert first == [401, 401, 429]
        assert other == [401, 401]
