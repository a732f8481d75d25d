"""The service's ASGI middleware, outermost first:

- `RequestLimits`: request size limits, applied while the request streams in (before routing): a
  request target longer than `max_url` bytes gets 414, a body longer than `max_body` bytes gets 413 as
  soon as its Content-Length says so or, without one, as soon as that many bytes have arrived.
  Nothing past the limit is read or kept.
- `SecurityHeaders`: every answer says `X-Content-Type-Options: nosniff`; HTML pages also carry a
  Content-Security-Policy (only our own scripts, styles and images; no plugins, no framing).
- `FollowReleases`: the release in service follows `build/current`, and every response says how long
  the service took (`Server-Timing`)."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from kg.web.errors import problem


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    def __init__(self, app, max_body: int, max_url: int) -> None:
        self.app, self.max_body, self.max_url = app, max_body, max_url

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string") or b"") + 1
        if target > self.max_url:
            return await refuse(
                send,
                414,
                f"the request target is {target:,} bytes long; at most {self.max_url:,} "
                "are accepted: send long queries with POST",
            )
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_body:
            return await refuse(send, 413, self.too_large(int(declared)))
        received, started = 0, False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge()
            return message

        async def watching_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BaseException as exc:
            if started or not body_too_large(exc):
                raise
            await refuse(send, 413, self.too_large(received))

    def too_large(self, size: int) -> str:
        return (
            f"the request body has {size:,} bytes or more; at most {self.max_body:,} are accepted (KG_MAX_QUERY_BYTES)"
        )


def body_too_large(exc: BaseException) -> bool:
    """Whether `exc` is BodyTooLarge, alone or inside an exception group (task groups wrap it)."""
    if isinstance(exc, BaseExceptionGroup):
        return any(body_too_large(e) for e in exc.exceptions)
    return isinstance(exc, BodyTooLarge)


async def refuse(send, status: int, detail: str) -> None:
    body = json.dumps(problem(status, detail)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class FollowReleases:
    """ASGI middleware: before each request, move to the newest release (`follow(app)`, see
    `kg.web.app.follow_release`); on each response, say how long the service took to start answering
    (`Server-Timing: app;dur=<ms>`)."""

    def __init__(self, app, follow: Callable[[Any], Awaitable[None]]) -> None:
        self.app, self.follow = app, follow

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        await self.follow(scope["app"])

        async def timed_send(message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", f"app;dur={took:.2f}".encode())],
                }
            await send(message)

        await self.app(scope, receive, timed_send)


PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """ASGI middleware: nosniff on every answer; the pages' Content-Security-Policy (and X-Frame-Options
    for browsers without `frame-ancestors`) on HTML ones. The pages use no inline script or style."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def guarded_send(message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
                kind = dict(headers).get(b"content-type", b"")
                if kind.startswith(b"text/html"):
                    headers += [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, guarded_send)
