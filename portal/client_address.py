"""The address a request came from, for login lock-outs (django-axes' AXES_CLIENT_IP_CALLABLE).

Directly, the connection's (`REMOTE_ADDR`). Behind one reverse proxy (PBXADMIN_BEHIND_PROXY),
every request comes from the proxy, which appends the address it was reached from to
`X-Forwarded-For`: the rightmost entry. Anything left of it was written by the client and
proves nothing. (django-axes reads its AXES_IPWARE_* settings only with django-ipware
installed; without it five wrong passwords from one client locked out everyone behind the proxy.)
"""

import ipaddress

from django.conf import settings


def _address(entry: str) -> str | None:
    """An IP address as a proxy writes it (`203.0.113.5`, `203.0.113.5:4711`, `[2001:db8::1]:4711`,
    `2001:db8::1`), without its port; None for anything else."""
    entry = entry.strip()
    candidates = [entry]
    if entry.startswith("[") and "]" in entry:
        candidates = [entry[1 : entry.index("]")]]
    elif entry.count(":") == 1:
        candidates.append(entry.partition(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    if not settings.PBXADMIN_BEHIND_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    # No header (a request that did not pass the proxy) or a last entry that is no address:
    # the connection's, which is then the proxy's or the direct client's.
    return _address(forwarded.rsplit(",", 1)[-1]) or remote
