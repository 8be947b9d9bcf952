"""Sending one event over HTTP, without Django: which callback URLs we accept (no
loopback, private or link-local addresses unless allowed), the signature, the POST with
its timeouts."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..errors import Refusal

SIGNATURE_HEADER = "X-HWR-Signature"
EVENT_HEADER = "X-HWR-Event"
DELIVERY_HEADER = "X-HWR-Delivery"


class CallbackRefused(Refusal):
    """A callback URL we will not call: not http(s), no host, or an address inside a network."""

    status = 400


def check_callback_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s), or whose host resolves to a loopback, private,
    link-local or otherwise non-public address (the service must not be made to call
    into its own network), unless `allow_private`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("The callback URL must be an http or https URL with a host.")
    if parts.username or parts.password:
        raise CallbackRefused("The callback URL must not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise CallbackRefused(f"The host {parts.hostname!r} of the callback URL cannot be resolved.") from exc
    if allow_private:
        return
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise CallbackRefused(f"The callback URL's host {parts.hostname!r} is {address}, a loopback, private or "
                                  "link-local address; give a public one.")


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    status_code: int | None
    error: str
    ms: int
    refused: bool = False  # the address is not one we call: trying again will not help

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def worth_retrying(self) -> bool:
        """Network errors, timeouts, 5xx and 429 may pass; any other answer will not."""
        if self.refused:
            return False
        return self.status_code is None or self.status_code >= 500 or self.status_code == 429


def post_event(url: str, body: bytes, headers: dict[str, str], *, timeout: float, allow_private: bool) -> Attempt:
    """POST the body once; the address is checked again first (DNS may have changed),
    redirects are not followed."""
    start = time.monotonic()
    try:
        check_callback_url(url, allow_private=allow_private)
        response = requests.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                                 timeout=(min(timeout, 5.0), timeout), allow_redirects=False)
        error = "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
        return Attempt(response.status_code, error, _ms(start))
    except CallbackRefused as exc:
        return Attempt(None, exc.message, _ms(start), refused=True)
    except requests.Timeout:
        return Attempt(None, f"No answer within {timeout:g} s.", _ms(start))
    except requests.RequestException as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}"[:500], _ms(start))


def _ms(start: float) -> int:
    return round((time.monotonic() - start) * 1000)
