"""The client's address: the peer's, or, when the peer is a trusted proxy, the right-most
address of the forwarding header that no trusted proxy holds."""

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Literal

ForwardingHeader = Literal["x-forwarded-for", "forwarded"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TrustedProxies:
    def __init__(self, cidrs: Iterable[str], *, header: ForwardingHeader) -> None:
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(cidr, strict=False) for cidr in cidrs
        )
        self.header = header.encode()

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def client(self, peer: str, headers: Sequence[tuple[bytes, bytes]]) -> str:
        """``peer`` unless it is trusted; then the right-most untrusted forwarded address (the
        left-most if every hop is trusted). A hop that is no address stops the walk at the
        last proxy that vouched for it."""
        if not self.networks or not self.trusts(_address(peer)):
            return peer
        values = [v.decode("latin-1") for k, v in headers if k == self.header]
        hops = _forwarded_for(values) if self.header == b"forwarded" else _x_forwarded_for(values)
        client = peer
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return client
            client = str(address)
            if not self.trusts(address):
                return client
        return client


def _x_forwarded_for(values: list[str]) -> list[str]:
    return [hop.strip() for value in values for hop in value.split(",")]


def _forwarded_for(values: list[str]) -> list[str]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` headers, in order."""
    hops = []
    for element in (e for value in values for e in value.split(",")):
        pairs = (pair.strip().partition("=") for pair in element.split(";"))
        found = [v.strip().strip('"') for k, _, v in pairs if k.strip().lower() == "for"]
        hops.append(found[0] if found else "")
    return hops


def _address(hop: str) -> Address | None:
    """An address without its port (``203.0.113.7:4711``, ``[2001:db8::1]:443``)."""
    if hop.startswith("["):
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:
        hop = hop.partition(":")[0]
    try:
        return ipaddress.ip_address(hop)
    except ValueError:
        return None
