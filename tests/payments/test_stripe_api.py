"""The reads' HTTP client (``stripe_api.KeptAlive``): one kept connection, replaced when the
server closed it, and the library's errors."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from backoffice.core.settings import Stripe
from backoffice.payments import stripe_api


class _Server:
    """Answers GETs of invoices; notes the client port of each request, and closes the
    connection after an answer when told to (as a server does with an idle connection)."""

    def __init__(self):
        self.ports: list[int] = []
        self.close_after_answer = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                server.ports.append(self.client_address[1])
                found = self.path.startswith("/v1/invoices/in_1")
                body = json.dumps({"id": "in_1", "object": "invoice"} if found else {
                    "error": {"type": "invalid_request_error", "message": "No such invoice"}})
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())
                self.wfile.flush()
                if server.close_after_answer:
                    self.close_connection = True

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.config = Stripe(secret_key="sk_test_kept", webhook_secret="",
                             api_base=f"http://127.0.0.1:{self.http.server_port}",
                             checkout_origin="")

    def close(self):
        stripe_api.KEPT.close()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    started = _Server()
    yield started
    started.close()


def test_reads_share_one_kept_connection(server):
    for _ in range(3):
        assert stripe_api.retrieve_invoice(server.config, "in_1")["id"] == "in_1"
    assert len(server.ports) == 3 and len(set(server.ports)) == 1


def test_a_connection_the_server_closed_is_replaced_at_once(server):
    server.close_after_answer = True
    started = time.monotonic()
    for _ in range(3):
        assert stripe_api.retrieve_invoice(server.config, "in_1")["id"] == "in_1"
    assert len(set(server.ports)) == 3
    assert time.monotonic() - started < 0.4  # no retry after the library's 0.5 s back-off


def test_an_error_is_the_librarys(server):
    with pytest.raises(stripe.InvalidRequestError, match="No such invoice"):
        stripe_api.retrieve_invoice(server.config, "in_2")
