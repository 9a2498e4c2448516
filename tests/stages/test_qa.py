"""QA stage edges: a struggling web server is a transient error, not a failed gate."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from pipeline.browser import Browser
from pipeline.errors import TransientError
from pipeline.qa.links import MemoryLinkCache
from pipeline.qa.runner import run_gates
from tests.qa.sites import expected
from tests.support.browser import browser_settings
from tests.support.servers import serve


class _Busy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_503_from_the_web_server_is_transient_not_a_failed_gate(guarded_browser: Browser) -> None:
    with serve(_Busy) as url, pytest.raises(TransientError, match="503"):
        run_gates(guarded_browser, url, expected(), browser_settings(), MemoryLinkCache())
