"""A document fetched from a URL, for ``assistant ingest https://…`` and ``POST /v1/documents``
with ``url``: the bytes and a file name whose suffix picks the loader (HTML through the same
loader as an uploaded .html file).

Fetching for whoever may upload must not reach what only the server can reach, so it goes
through the webhook callbacks' policy (``bots/callbacks.py``): the URL is checked as text, every
address its host resolves to must be public unless ``fetch_allow`` (ASSISTANT_FETCH_ALLOW)
names it, and the connection is pinned to the address that was checked. Redirects are followed
by hand, each hop checked the same way, at most ``MAX_REDIRECTS``. The body is read in pieces
and refused past ``max_upload_bytes``; the content type must be one a loader reads.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import httpx

from ..bots.callbacks import CallbackPolicy, Resolver, pinned, resolve_target, system_resolver
from ..errors import FetchError, TooLargeError, UnsupportedFileError
from ..settings import Settings

MAX_REDIRECTS = 5
# Content type -> the suffix whose loader reads it.
SUFFIXES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
_NAME_RE = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class Fetched:
    """A fetched document: a file name for it (its suffix from the content type) and bytes."""

    name: str
    data: bytes
    url: str  # where it was finally read from, after redirects


def fetch_policy(settings: Settings, resolve: Resolver = system_resolver,
                 transport: httpx.BaseTransport | None = None) -> CallbackPolicy:
    """The outbound policy for fetching documents: ``fetch_allow`` as the allow-list."""
    allow = tuple(ipaddress.ip_network(n, strict=False) for n in settings.fetch_allow)
    return CallbackPolicy(allow=allow, resolve=resolve, transport=transport,
                          timeout_s=settings.fetch_timeout_s, field="url",
                          setting="ASSISTANT_FETCH_ALLOW", error=FetchError)


def file_name(url: httpx.URL, content_type: str) -> str:
    """A file name for what ``url`` served: its last path segment (or host) with the suffix
    of its content type.

    Raises:
        UnsupportedFileError: a content type no loader reads.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    suffix = SUFFIXES.get(kind)
    if suffix is None:
        readable = ", ".join(sorted(SUFFIXES))
        raise UnsupportedFileError(f"{url} is {kind or 'of no stated type'}; a URL must serve "
                                   f"one of {readable}")
    stem = url.path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0] or url.host
    return (_NAME_RE.sub("-", stem).strip("-.") or "page")[:80] + suffix


def _read(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"{response.url} is {int(declared)} bytes; the limit is {limit}")
    data = bytearray()
    for piece in response.iter_bytes():
        data += piece
        if len(data) > limit:
            raise TooLargeError(f"{response.url} is larger than the limit of {limit} bytes")
    return bytes(data)


def fetch(url: str, settings: Settings, policy: CallbackPolicy | None = None) -> Fetched:
    """GET ``url`` safely (see the module docstring).

    Raises:
        FetchError: a malformed or refused URL, a network error, too many redirects, or a
            status other than 2xx.
        TooLargeError: a body over ``settings.max_upload_bytes``.
        UnsupportedFileError: a content type no loader reads.
    """
    policy = policy or fetch_policy(settings)
    current = url
    with httpx.Client(transport=policy.transport, timeout=policy.timeout_s,
                      follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target = resolve_target(current, policy)
            address, host, extensions = pinned(target)
            request = client.build_request("GET", address, headers=host, extensions=extensions)
            try:
                response = client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchError(f"fetching {current} failed: {exc}") from None
            try:
                if response.is_redirect and "location" in response.headers:
                    current = str(target.url.join(response.headers["location"]))
                    continue
                if not response.is_success:
                    raise FetchError(f"fetching {current} failed: HTTP {response.status_code}")
                name = file_name(target.url, response.headers.get("content-type", ""))
                return Fetched(name, _read(response, settings.max_upload_bytes), current)
            finally:
                response.close()
    raise FetchError(f"fetching {url} failed: more than {MAX_REDIRECTS} redirects")


def is_url(value: str) -> bool:
    """Whether a command-line target names a URL rather than a path."""
    return value.startswith(("http://", "https://"))
