"""Who is asking: the one client address that rate limits and the login lock-out key on.

A header is only as trustworthy as whoever wrote it. The socket peer (`REMOTE_ADDR`)
cannot be forged; `X-Forwarded-For` can, by anyone, unless it reached us through a proxy
we run. So the client is the peer, unless `settings.TRUSTED_PROXIES` (networks in CIDR
notation) names the peer: then `X-Forwarded-For` is read from the right, where our own
proxies appended what they saw, and the first address that is not one of our proxies is
the client. Whatever the client itself wrote further left is never looked at, so a fresh
header per request buys no fresh rate limit.

Used by every DRF throttle of the project (`ClientAddressMixin.get_ident`), by the plain
registry views through the same throttle, and by django-axes (`AXES_CLIENT_IP_CALLABLE`).
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


@lru_cache(maxsize=8)
def _networks(specs):
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)


def trusted_networks():
    """The proxies whose `X-Forwarded-For` entries are believed (read at call time, so a
    test or a reloaded setting takes effect at once)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


@lru_cache(maxsize=1024)  # the same few peers and proxies ask again and again
def parse_address(text):
    """An IP address from a header entry or `REMOTE_ADDR`, or None when it is not one.

    Accepts what proxies write: `203.0.113.7`, `203.0.113.7:51234`, `2001:db8::1`,
    `[2001:db8::1]:443`; an IPv4-mapped IPv6 address is its IPv4 address.
    """
    text = (text or "").strip().strip('"')
    if text.startswith("["):  # [v6] or [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address, networks):
    return any(address.version == net.version and address in net for net in networks)


def client_address(request):
    """The client's address as a string (see the module docstring for the rule).

    Walking `X-Forwarded-For` from the right stops at the first address not in
    `TRUSTED_PROXIES`. An entry that is no address at all is not trusted either, and what
    stands left of it cannot be vouched for, so the client is then the last trusted hop
    that passed it on: a proxy chain that writes garbage shares one limit, and no client
    can choose its own key. With every entry trusted (or none), the leftmost trusted hop
    is the client.
    """
    meta = request.META
    peer = parse_address(meta.get("REMOTE_ADDR"))
    if peer is None:
        # No socket peer (a test client or a misconfigured server): one shared key.
        return "0.0.0.0"  # noqa: S104 - a cache key, nothing binds to it
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",")):
        address = parse_address(entry)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


class ClientAddressMixin:
    """A DRF throttle that keys on `client_address`, not DRF's own `get_ident` (which
    believes `X-Forwarded-For` from anyone when `NUM_PROXIES` is unset)."""

    def get_ident(self, request):
        return client_address(request)


class AuthRateThrottle(ClientAddressMixin, ScopedRateThrottle):
    """The token endpoint's throttle: the `auth` scope per client address, counted in
    the default cache (shared by every process: Redis in production)."""
