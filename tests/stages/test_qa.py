"""QA stage (HTTP gates): a struggling web server is retried, a bad page is held."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest
import requests

from pipeline.errors import TransientError
from pipeline.stages.qa import check_site
from tests.support.servers import send_html, serve


class _Busy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class _Lorem(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        send_html(self, b"<html><body><h1>Acme</h1><p>Lorem ipsum dolor sit amet</p></body></html>")

    def log_message(self, *args: object) -> None:
        pass


def test_a_503_from_the_web_server_is_transient_not_a_failed_gate() -> None:
    with serve(_Busy) as url, requests.Session() as session, pytest.raises(TransientError, match="503"):
        check_site(url, "Acme", session)


def test_placeholder_text_and_a_missing_logo_fail_their_gates() -> None:
    with serve(_Lorem) as url, requests.Session() as session:
        report = check_site(url, "Acme", session)
    status = {c.name: c.status for c in report.checks}
    assert status == {"status": "pass", "content:name": "pass", "content:placeholder": "fail", "logo": "fail"}
    assert not report.passed
