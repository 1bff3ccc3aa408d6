"""Who sent a request: the address that per-client limits count (inquiries, console logins).

The socket peer, unless it is one of the proxies in PATHFINDER_TRUSTED_PROXIES
(comma-separated IPs or CIDRs; none by default; an entry that is neither stops the web app
as it starts, knowledge/settings.py). Then the X-Forwarded-For hops are read from
the right, past every trusted proxy, to the first address a trusted proxy saw: hops further
left are whatever the client wrote, so trusting them would let anyone pick their own address.
uvicorn runs with ``--no-proxy-headers`` (bot/stack.py) so that this is the only place that
decides.

The limits count :func:`limit_key`: that address, or an IPv6 client's /64. A subscriber is
given at least a /64 (2**64 addresses) and may use any of them, so counting IPv6 addresses
one by one would give one client as many fresh limits as it likes."""

from __future__ import annotations

import ipaddress

from fastapi import Request

from knowledge.settings import web_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX = 64  # bits: the share of the address space one IPv6 client may use


def trusted_proxies() -> tuple[Network, ...]:
    """The networks of PATHFINDER_TRUSTED_PROXIES (e.g. ``10.0.0.5,192.168.1.0/24``)."""
    return web_settings().trusted_proxies


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client seen through a dual-stack socket (::ffff:10.0.0.5) is that IPv4 client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: Request) -> Address | str:
    """The request's client address; without one, what stands for it (``unknown`` without a
    socket peer, or a peer that is no IP address, such as a test client's name)."""
    peer = request.client.host if request.client else "unknown"
    proxies = trusted_proxies()
    current = _address(peer)
    if current is None or not any(current in network for network in proxies):
        return current or peer
    hops = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    for hop in reversed(hops):
        forwarded = _address(hop)
        if forwarded is None:
            break  # not an address: the last trusted hop is as far back as we can know
        current = forwarded
        if not any(current in network for network in proxies):
            break
    return current


def limit_key(request: Request) -> str:
    """What per-client limits count the request under: the client address, for IPv6 its
    /64 (e.g. ``2001:db8:1:2::/64``)."""
    client = client_address(request)
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, IPV6_CLIENT_PREFIX), strict=False))
    return str(client)
