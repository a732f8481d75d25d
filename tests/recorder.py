"""A local HTTP server that records every request it gets: tests use it as a trap to show that
something (a parser, a validator, the reasoner, a query worker, the service) fetches nothing."""

from __future__ import annotations

import http.server
import threading
from contextlib import contextmanager


@contextmanager
def recording_server(body: bytes = b"", content_type: str = "text/plain"):
    """Serve 127.0.0.1 on a free port, answering every GET and POST with `body`; yield the base URL
    (no trailing slash) and the list of request paths seen so far."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
