"""HTTP requests to addresses that users typed (chat rooms): to public addresses only.

Checking a name before the request is not enough: the name may resolve differently a moment
later (DNS rebinding), and a redirect may point anywhere. So the address a connection is made
to is checked on the socket itself, and redirects are not followed.
"""

import ipaddress

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError


class PrivateAddress(requests.ConnectionError):
    """The name led to an address inside a network (loopback, private, link-local…)."""


class _PublicOnly:
    """A connection that refuses, once connected and before sending a byte, a peer that is not
    on the public internet."""

    def _new_conn(self):
        sock = super()._new_conn()
        address = sock.getpeername()[0]
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            sock.close()
            raise NewConnectionError(self, f"{address} is not a public address.")
        return sock


class _HTTPConnection(_PublicOnly, HTTPConnection):
    pass


class _HTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _PublicAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def send(method: str, url: str, *, public_only: bool, **kwargs) -> requests.Response:
    """One request, no redirect followed (a 3xx is an HTTPError naming where it pointed).
    `public_only`: connect to public addresses only. A proxy from the environment is used as
    configured; the proxy then decides where a name leads."""
    with requests.Session() as session:
        if public_only:
            session.mount("http://", _PublicAdapter())
            session.mount("https://", _PublicAdapter())
        try:
            response = session.request(method, url, allow_redirects=False, **kwargs)
        except requests.ConnectionError as exc:
            if "is not a public address" in str(exc):
                raise PrivateAddress(str(exc)) from None
            raise
    if response.is_redirect or 300 <= response.status_code < 400:
        where = response.headers.get("Location", "")[:200]
        response.close()
        raise requests.HTTPError(
            f"{response.status_code} redirect to {where!r} not followed: requests go to the "
            "address entered, only; enter the address it points to instead.",
            response=response,
        )
    return response
