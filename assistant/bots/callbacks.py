"""Outbound webhook callbacks, safe to point at by anyone who can sign a request.

A ``callback_url`` makes the server POST somewhere, so it must not reach what only the server
can reach: its own API, the cloud metadata service, the private network. Every callback is

* checked as text (``check_url``): http or https, a host, no user info, no white space or
  control characters;
* resolved (``resolve_target``), and refused unless every address it resolves to is globally
  routable: loopback, private, link-local, multicast, reserved and unspecified addresses are
  refused, v4 and v6, whatever numeric form named them (``2130706433``, ``127.1``,
  ``[::ffff:127.0.0.1]``, NAT64 and 6to4 embeddings), unless ``hook_callback_allow`` names
  them;
* delivered to the address that was checked (the connection is pinned to it; ``Host`` and TLS
  SNI keep the URL's name), so a DNS answer that changes in between cannot redirect it;
* never redirected (a 3xx is a refusal), bounded by a timeout, its response body never read.

The resolver and the HTTP transport are parameters (``CallbackPolicy``), so tests check the
refusal happens before any connection without sending traffic anywhere but loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import CallbackURLError, InputError
from ..settings import Settings

log = logging.getLogger("assistant.bots.callbacks")

Resolver = Callable[[str, int], list[str]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

TIMESTAMP_HEADER = "X-Assistant-Timestamp"
SIGNATURE_HEADER = "X-Assistant-Signature"
ATTEMPT_HEADER = "X-Assistant-Delivery-Attempt"
CALLBACK_TRIES = 3
CALLBACK_BACKOFF_S = 0.5  # waits 0.5 s, then 1 s, ... between tries
_RETRYABLE = {408, 425, 429}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (numeric hosts resolve to themselves, offline); an
    empty list when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class CallbackPolicy:
    """Where callbacks may go and how they travel."""

    allow: tuple[Network, ...] = ()
    resolve: Resolver = system_resolver
    transport: httpx.BaseTransport | None = None  # None: a real connection
    timeout_s: float = 10.0
    field: str = "callback_url"  # what the URL is called in error messages
    setting: str = "ASSISTANT_HOOK_CALLBACK_ALLOW"  # the allow-list a refusal names
    error: type[InputError] = CallbackURLError

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> CallbackPolicy:
        allow = tuple(ipaddress.ip_network(n, strict=False) for n in settings.hook_callback_allow)
        return cls(**{"allow": allow, "timeout_s": settings.hook_callback_timeout_s,
                      **overrides})


@dataclass(frozen=True)
class Target:
    """A checked callback: the URL as given and the address to connect to."""

    url: httpx.URL
    address: str


def check_url(value: str, field: str = "callback_url") -> httpx.URL:
    """``value`` parsed as an outbound URL; ValueError naming what is wrong with it."""
    bad = next((ch for ch in value if ch.isspace() or ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None:
        raise ValueError(f"{field} contains {bad!r} (white space or a control character); "
                         "percent-encode it")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValueError(f"{field} is not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{field} must be an http:// or https:// URL with a host")
    if url.userinfo:
        raise ValueError(f"{field} must not carry a user name or password")
    return url


def _embedded(ip: Address) -> Iterator[Address]:
    """``ip`` and the IPv4 addresses it carries (mapped, NAT64, 6to4, Teredo)."""
    yield ip
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            yield ip.ipv4_mapped
        if ip in _NAT64:
            yield ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            yield ip.sixtofour
        if ip.teredo is not None:
            yield from ip.teredo


def _kind(ip: Address) -> str | None:
    """What makes ``ip`` no place for a callback, or None for a public unicast address."""
    for name, flag in (("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
                       ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return name
    return None if ip.is_global else "not globally routable"


def address_problem(address: str, allow: tuple[Network, ...] = (),
                    setting: str = "ASSISTANT_HOOK_CALLBACK_ALLOW") -> str | None:
    """Why an outbound request must not go to ``address``, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return f"{address!r} is not an IP address"
    forms = list(_embedded(ip))
    if any(form in net for form in forms for net in allow if form.version == net.version):
        return None
    for form in forms:
        kind = _kind(form)
        if kind:
            return (f"it resolves to {address}, a {kind} address; requests go only to public "
                    f"addresses unless {setting} names it")
    return None


def resolve_target(value: str, policy: CallbackPolicy) -> Target:
    """Check ``value`` and resolve it to one permitted address.

    Raises:
        policy.error (CallbackURLError for callbacks): a malformed URL, a host that does not
            resolve, or one that resolves to any address the policy may not reach.
    """
    try:
        url = check_url(value, policy.field)
    except ValueError as exc:
        raise policy.error(str(exc)) from None
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = policy.resolve(url.host, port)
    if not addresses:
        raise policy.error(f"{policy.field} host {url.host!r} does not resolve to an address; "
                           "give a reachable host")
    for address in addresses:  # all of them: a resolver may rotate through the answers
        problem = address_problem(address, policy.allow, policy.setting)
        if problem:
            raise policy.error(f"{policy.field} {url.host!r} is refused: {problem}")
    return Target(url, addresses[0])


def pinned(target: Target) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """The URL with the checked address as host, and the Host header and SNI of the name."""
    url = target.url.copy_with(host=target.address)
    headers = {"Host": target.url.netloc.decode("ascii")}
    extensions = {"sni_hostname": target.url.host} if target.url.scheme == "https" else {}
    return url, headers, extensions


def _post(client: httpx.Client, target: Target, body: bytes,
          headers: dict[str, str]) -> int:
    url, host, extensions = pinned(target)
    request = client.build_request("POST", url, content=body, headers={**headers, **host},
                                   extensions=extensions)
    response = client.send(request, stream=True)  # the body is never read, only the status
    response.close()
    return response.status_code


def deliver(url: str, payload: dict[str, Any], secret: str, policy: CallbackPolicy, *,
            tries: int = CALLBACK_TRIES, backoff_s: float = CALLBACK_BACKOFF_S) -> bool:
    """POST ``payload`` to ``url``, signed, after checking where it goes; retry network
    errors, 408/425/429 and 5xx with exponential backoff. Returns whether it was taken (2xx).
    A refused address, a redirect or another 4xx is final."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    with httpx.Client(transport=policy.transport, timeout=policy.timeout_s,
                      follow_redirects=False) as client:
        for attempt in range(1, tries + 1):
            try:
                target = resolve_target(url, policy)  # again: DNS may have changed since
            except CallbackURLError as exc:
                log.error("callback %s refused, the answer is dropped: %s", url, exc.message)
                return False
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
                       SIGNATURE_HEADER: sign(secret, timestamp, body),
                       ATTEMPT_HEADER: str(attempt)}
            try:
                status = _post(client, target, body, headers)
            except httpx.HTTPError as exc:
                log.warning("callback %s, try %d/%d: %s", url, attempt, tries, exc)
            else:
                if 200 <= status < 300:
                    return True
                log.warning("callback %s, try %d/%d: HTTP %d%s", url, attempt, tries, status,
                            " (redirects are not followed)" if 300 <= status < 400 else "")
                if status < 500 and status not in _RETRYABLE:
                    return False  # the receiver refuses it; trying again will not help
            if attempt < tries:
                time.sleep(backoff_s * 2 ** (attempt - 1))
    log.error("callback %s failed after %d tries; the answer is dropped", url, tries)
    return False
