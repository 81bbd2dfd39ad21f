"""Client addresses, only ever kept as keyed hashes.

An address is stored as an HMAC-SHA256, keyed with a key derived from SECRET_KEY for this one
purpose: without the key, nobody can recover an address by hashing all four billion of them, and
the key itself is used for nothing else. IPv6 addresses are hashed by their /64 network, the block
one household (or one attacker) gets. The rate limits use the same hash as their key, so Redis
never holds an address either. Rotating SECRET_KEY starts new hashes: the hourly cap and the
busiest-address lists begin again.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, request


def _key() -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"groundswell ip hash", hashlib.sha256).digest()


def ip_hash(address: str) -> str:
    """The keyed hash stored for a client address ("" when it is not an address)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    network = ip
    if ip.version == 6:
        network = ip.ipv4_mapped or ipaddress.ip_network(f"{ip}/64", strict=False)
    return hmac.new(_key(), str(network).encode(), hashlib.sha256).hexdigest()[:32]


def client_ip_hash() -> str:
    """The hash of this request's client address (as ProxyFix gives it, with TRUSTED_PROXIES)."""
    return ip_hash(request.remote_addr or "")


def rate_limit_key() -> str:
    return client_ip_hash() or "unknown"
