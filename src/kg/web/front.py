"""The service's front door: uvicorn's h11 protocol with the connection limits a public endpoint needs
and uvicorn lacks (it has no timeout for a request head and no cap per client address):

- a connection has `head_timeout` seconds to send a complete request head, counted from its opening
  (or from the first byte of each following request); a silent one is then closed, a slow one
  (slowloris) answered 408 and closed;
- one client address holds at most `per_client` connections (the TCP peer: behind a proxy the cap is
  off, the proxy's own limits apply), all addresses together at most `max_connections`; a connection
  past either gets 503 with Retry-After at once;
- a request head past the limits gets 414 (its request line is longer than `max_url`) or 431 (its
  header fields are too large), a malformed one 400.

Every such answer is the service's JSON error shape with `Access-Control-Allow-Origin: *`, sent before
the request is routed (so not through the app), and followed by a clean close: the connection is
half-closed after the answer and what the client still sends is read and dropped for a while
(lingering close), because closing a socket with unread data resets it and the client would see
ECONNRESET instead of the answer."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from http import HTTPStatus
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from kg.config import Settings
from kg.web.errors import problem

HEADERS_ALLOWED = 16 * 1024  # bytes of header fields a request head may have beyond its request line
LINGER_PAUSE = 2.0  # seconds of client silence that end a lingering close
LINGER_MOST = 10.0  # seconds a lingering close lasts at most
REPORT_EVERY = 10.0  # seconds between log lines about refused connections
log = logging.getLogger("kg.web")


def head_limit(settings: Settings) -> int:
    """The most bytes a request head may have (h11's max_incomplete_event_size)."""
    return settings.max_url_bytes + HEADERS_ALLOWED


class Front(H11Protocol):
    """One connection (uvicorn makes one instance per connection). The limits are class attributes,
    set by `protocol(settings)`; `addresses` counts the admitted connections of each client address
    (those refused and lingering do not count)."""

    head_timeout: ClassVar[float] = 5.0
    per_client: ClassVar[int] = 32
    max_connections: ClassVar[int] = 256
    max_url: ClassVar[int] = 16_384
    most_head: ClassVar[int] = 16_384 + HEADERS_ALLOWED
    addresses: ClassVar[Counter[str]] = Counter()
    refusals: ClassVar[Counter[tuple[int, str]]] = Counter()
    reported: ClassVar[list[float]] = [-REPORT_EVERY]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.address = self.client[0] if self.client else ""
        self.head_timer: asyncio.TimerHandle | None = None
        self.linger_timer: asyncio.TimerHandle | None = None
        self.head_bytes, self.head_start, self.refused, self.admitted = 0, b"", False, False
        held = self.addresses[self.address]
        if self.per_client and held >= self.per_client:
            self.refuse(
                503,
                f"your address holds {held} connections to the service; at most {self.per_client} at once "
                "(KG_MAX_CLIENT_CONNECTIONS): reuse a connection or close one",
                retry_after=5,
            )
        elif self.addresses.total() >= self.max_connections:
            self.refuse(
                503,
                f"the service holds its most connections ({self.max_connections}, KG_MAX_CONNECTIONS); "
                "try again in a few seconds",
                retry_after=5,
            )
        else:
            self.admitted = True
            self.addresses[self.address] += 1
            self.arm()

    def release(self) -> None:
        """No longer count this connection against its address and the service's cap."""
        if self.admitted:
            self.admitted = False
            self.addresses[self.address] -= 1
            if self.addresses[self.address] <= 0:
                del self.addresses[self.address]

    def connection_lost(self, exc: Exception | None) -> None:
        self.release()
        for timer in (self.head_timer, self.linger_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:  # lingering: read and drop
            self.linger()
            return
        waiting = self.conn.their_state is h11.IDLE  # a request head is (still) arriving
        if waiting:
            self.arm()
            self.head_bytes += len(data)
            if len(self.head_start) <= self.max_url:
                self.head_start += data[: self.max_url + 2]
        super().data_received(data)
        if self.refused:
            return
        if self.conn.their_state is not h11.IDLE:  # the head is complete
            self.disarm()
            self.head_bytes, self.head_start = 0, b""

    def arm(self) -> None:
        if self.head_timer is None and self.head_timeout > 0:
            self.head_timer = self.loop.call_later(self.head_timeout, self.head_too_slow)

    def disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_too_slow(self) -> None:
        self.head_timer = None
        if self.transport.is_closing() or self.refused or self.conn.their_state is not h11.IDLE:
            return
        if self.head_bytes == 0:  # silent: just close
            self.transport.close()
            return
        self.refuse(408, f"the request head did not arrive within {self.head_timeout:g} s (KG_HEAD_TIMEOUT)")

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request head h11 refuses: too long (414 or 431) or malformed (400)."""
        if self.head_bytes > self.most_head:
            line_end = self.head_start.find(b"\n")
            if line_end < 0 or line_end > self.max_url:
                self.refuse(
                    414,
                    f"the request line is more than {self.max_url:,} bytes long (KG_MAX_URL_BYTES): "
                    "send long queries with POST",
                )
            else:
                self.refuse(
                    431,
                    f"the request head has more than {self.most_head:,} bytes; its headers may have at most "
                    f"{HEADERS_ALLOWED:,}",
                )
        else:
            self.refuse(400, "malformed HTTP request head")

    def refuse(self, status: int, detail: str, retry_after: int | None = None) -> None:
        """Answer `status` with the JSON error, half-close, and linger (see the module's docstring)."""
        self.disarm()
        self.release()
        self.refused = True
        self.report(status)
        body = json.dumps(problem(status, detail)).encode()
        fields: list[tuple[str, Any]] = [
            ("Content-Type", "application/json"),
            ("Content-Length", len(body)),
            ("Connection", "close"),
            ("Access-Control-Allow-Origin", "*"),
            ("Cache-Control", "no-store"),
        ]
        if retry_after is not None:
            fields.append(("Retry-After", retry_after))
        head = f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields)
        self.transport.write(head.encode("latin-1") + b"\r\n" + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.linger_ends = self.loop.time() + LINGER_MOST
        self.linger()

    def report(self, status: int) -> None:
        """Log refusals, at most one line per REPORT_EVERY seconds (a flood must not flood the log)."""
        self.refusals[(status, self.address)] += 1
        now = self.loop.time()
        if now - self.reported[0] >= REPORT_EVERY:
            counts = ", ".join(f"{n} × {code} to {address}" for (code, address), n in self.refusals.most_common(5))
            log.warning("refused connections in the last %g s: %s", REPORT_EVERY, counts)
            self.refusals.clear()
            self.reported[0] = now

    def linger(self) -> None:
        if self.linger_timer is not None:
            self.linger_timer.cancel()
        pause = min(LINGER_PAUSE, max(self.linger_ends - self.loop.time(), 0.0))
        self.linger_timer = self.loop.call_later(pause, self.transport.close)

    def shutdown(self) -> None:
        if self.refused:
            self.transport.close()
        else:
            super().shutdown()

    def eof_received(self) -> None:
        """The client closed its side: when lingering, that is the end; else as uvicorn does."""
        if self.refused:
            self.transport.close()


def protocol(settings: Settings) -> type[Front]:
    """The protocol class for `kg serve` with the limits of `settings`."""
    limits = {
        "head_timeout": settings.head_timeout,
        "per_client": 0 if settings.trust_proxy else settings.max_client_connections,
        "max_connections": settings.max_connections,
        "max_url": settings.max_url_bytes,
        "most_head": head_limit(settings),
        "addresses": Counter(),
        "refusals": Counter(),
        "reported": [-REPORT_EVERY],
    }
    return type("Front", (Front,), limits)
