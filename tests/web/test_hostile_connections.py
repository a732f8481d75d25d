"""Hostile connections against the real server (`kg serve` over the small fixture project): silent
sockets, slow request heads (slowloris) and floods from one address are closed or refused, and an
ordinary client from another address keeps getting its answers meanwhile.

Loopback has all of 127.0.0.0/8, so attackers bind to 127.0.0.2 and up while the ordinary client
stays on 127.0.0.1. The p95 latency of the ordinary client under this attack is a figure of
`make bench` (bench/load.py), not asserted here."""

from __future__ import annotations

import json
import selectors
import socket
import threading
import time

import httpx
import pytest

from bench import load
from servers import running_server

pytestmark = pytest.mark.server
HEAD_TIMEOUT = 2.0
PER_CLIENT = 16
MAX_CONNECTIONS = 60


@pytest.fixture(scope="module")
def front(small_settings, tmp_path_factory):
    log = tmp_path_factory.mktemp("front") / "server.log"
    with running_server(
        small_settings.root,
        small_settings.build_dir,
        log,
        KG_HEAD_TIMEOUT=str(HEAD_TIMEOUT),
        KG_MAX_CLIENT_CONNECTIONS=str(PER_CLIENT),
        KG_MAX_CONNECTIONS=str(MAX_CONNECTIONS),
    ) as url:
        yield url
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def connect(url: str, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port_of(url)))
    return sock


def read_all(socks: list[socket.socket], seconds: float) -> dict[socket.socket, bytes | None]:
    """Read every socket until the server closes it; what each received, None for those still open
    after `seconds` (a reset counts as closed: the test asserts what was received before it)."""
    got: dict[socket.socket, bytes] = dict.fromkeys(socks, b"")
    selector = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        selector.register(s, selectors.EVENT_READ)
    deadline, open_ = time.monotonic() + seconds, set(socks)
    while open_ and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if chunk:
                got[sock] += chunk
            else:
                selector.unregister(sock)
                open_.discard(sock)
    selector.close()
    return {s: None if s in open_ else got[s] for s in socks}


def ordinary(url: str, seconds: float, latencies: list[float], failures: list) -> None:
    """bench/load.py's ordinary client (`ASK {}`, one at a time), its figures into the lists given."""
    got, failed = load.asks(url, seconds)
    latencies.extend(got)
    failures.extend(failed)


def test_silent_and_slow_sockets_do_not_lock_others_out(front):
    """1,000 silent sockets and 100 slowloris sockets from one address: the server keeps at most
    PER_CLIENT of them, closes every one within the head timeout, and answers an ordinary client."""
    latencies: list[float] = []
    failures: list = []
    client = threading.Thread(target=ordinary, args=(front, HEAD_TIMEOUT * 3, latencies, failures))
    client.start()
    slow = [connect(front, "127.0.0.2") for _ in range(100)]
    silent = [connect(front, "127.0.0.2") for _ in range(1000)]
    stop = time.monotonic() + HEAD_TIMEOUT * 2
    for s in slow:
        s.sendall(b"GET /-/health HTTP/1.1\r\nHost: x\r\n")
    while time.monotonic() < stop:  # one header line every 0.3 s, never the blank line ending the head
        for s in slow:
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                pass
        time.sleep(0.3)
    received = read_all(silent + slow, HEAD_TIMEOUT + 3)
    client.join()
    for s in silent + slow:
        s.close()
    assert failures == [] and len(latencies) > 20
    still_open = [s for s, got in received.items() if got is None]
    assert still_open == [], f"{len(still_open)} sockets still open"
    answers = [got for got in received.values() if got]
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
    timed_out = [a for a in answers if a.startswith(b"HTTP/1.1 408")]
    assert len(refused) >= 1100 - PER_CLIENT  # beyond the per-address cap: refused at once
    assert 1 <= len(timed_out) <= PER_CLIENT  # slow heads the server held, closed with 408 after the timeout
    assert b"KG_HEAD_TIMEOUT" in timed_out[0]


def test_connections_per_address_are_capped(front):
    held = [connect(front, "127.0.0.3") for _ in range(PER_CLIENT)]
    extra = connect(front, "127.0.0.3")
    got = read_all([extra], 5)[extra]
    assert got is not None and got.startswith(b"HTTP/1.1 503")
    head, _, body = got.partition(b"\r\n\r\n")
    assert b"access-control-allow-origin: *" in head.lower() and b"retry-after:" in head.lower()
    assert f"at most {PER_CLIENT}" in json.loads(body)["error"]["detail"]
    other = httpx.get(front + "/-/health", timeout=5)  # another address is not affected
    assert other.status_code == 200
    for s in held + [extra]:
        s.close()


def test_connection_cap_answers_json(front):
    """Past KG_MAX_CONNECTIONS in all, a new connection gets the JSON 503 (CORS, Retry-After) at once."""
    held = [connect(front, f"127.0.1.{i // PER_CLIENT + 1}") for i in range(MAX_CONNECTIONS)]
    time.sleep(0.3)
    extra = connect(front, "127.0.2.1")
    got = read_all([extra], 5)[extra]
    for s in held + [extra]:
        s.close()
    assert got is not None and got.startswith(b"HTTP/1.1 503")
    head, _, body = got.partition(b"\r\n\r\n")
    assert b"access-control-allow-origin: *" in head.lower()
    assert "KG_MAX_CONNECTIONS" in json.loads(body)["error"]["detail"]
