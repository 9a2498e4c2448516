"""The review page: held leads with screenshots (the generated site at desktop and mobile width,
the prospect's own site), gate results and violations, and approve / reject buttons.

Bound to 127.0.0.1 by default; bound anywhere else it refuses to start without a password, and
with a password set every request needs HTTP basic auth. Forms carry a per-session CSRF token
(in a signed, SameSite=Strict session cookie) and a POST must come from the page's own origin.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Response, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.serving import BaseWSGIServer, make_server

from pipeline.errors import InputError
from pipeline.qa import artifacts, review
from pipeline.settings import Settings
from pipeline.store import Store

VIEWS = ("desktop", "mobile", "prospect")
CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"


def is_loopback(host: str) -> bool:
    """Whether a bind address is loopback only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(conn: redis.Redis, settings: Settings, *, require_auth: bool | None = None) -> Flask:
    """The review page's Flask app on this Redis. Auth is required when a password is set."""
    app = Flask(__name__, template_folder="../themes/review")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True, MAX_CONTENT_LENGTH=16_384)
    store = Store(conn, settings.output_ttl_s)
    password = settings.review_password.get_secret_value() if settings.review_password else None
    needs_auth = bool(password) if require_auth is None else require_auth

    def reviewer() -> str:
        auth = request.authorization
        return f"{auth.username}@review-page" if auth and auth.username else f"reviewer@{request.remote_addr}"

    @app.before_request
    def guard() -> Response | None:
        if needs_auth:
            auth = request.authorization
            ok = (
                auth is not None
                and password is not None
                and hmac.compare_digest(auth.username or "", settings.review_user)
                and hmac.compare_digest(auth.password or "", password)
            )
            if not ok:
                return Response("login required\n", 401, {"WWW-Authenticate": 'Basic realm="pipeline review"'})
        if request.method == "POST":
            token = request.form.get("csrf", "")
            if not token or not hmac.compare_digest(token, session.get("csrf", "")):
                abort(403, "missing or wrong form token")
            origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
            if origin and not origin.startswith(request.host_url.rstrip("/")):
                abort(403, "form posted from another site")
        return None

    @app.context_processor
    def csrf_token() -> dict[str, Callable[[], str]]:
        def token() -> str:
            if "csrf" not in session:
                session["csrf"] = secrets.token_urlsafe(32)
            return str(session["csrf"])

        return {"csrf_token": token}

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Referrer-Policy"] = "same-origin"  # "no-referrer" would make forms post Origin: null
        resp.headers["Cache-Control"] = "no-store"
        return resp

    @app.get("/")
    def index() -> str:
        leads = [(r, review.report_of(store, r.key)) for r in review.held(store)]
        return render_template("index.html", leads=leads, views=VIEWS)

    @app.get("/lead/<key>")
    def lead(key: str) -> str:
        record = store.get(key)
        if record is None:
            abort(404)
        return render_template("lead.html", r=record, report=review.report_of(store, key), views=VIEWS)

    @app.get("/shot/<key>/<view>.webp")
    def shot(key: str, view: str) -> Response:
        data = artifacts.load_screenshot(conn, key, view) if view in VIEWS else None
        if data is None:
            abort(404)
        return Response(data, mimetype="image/webp")

    @app.post("/lead/<key>/<decision>")
    def decide(key: str, decision: str) -> Any:
        reason = request.form.get("reason", "").strip()[:500]
        try:
            if decision == "approve":
                review.approve(store, settings, key, reviewer(), reason)
                flash(f"{key} approved: it goes on to email")
            elif decision == "reject":
                review.reject(store, settings, key, reviewer(), reason)
                flash(f"{key} rejected: its site was taken down")
            else:
                abort(404)
        except InputError as exc:
            flash(str(exc))
        return redirect(url_for("index"))

    return app


def serve(conn: redis.Redis, settings: Settings, host: str, port: int) -> BaseWSGIServer:
    """A started-ready WSGI server for the review page (call `serve_forever`). Refuses to bind off
    loopback without a password."""
    if not is_loopback(host) and not settings.review_password:
        raise InputError(f"the review page binds to {host}: set PIPELINE_REVIEW_PASSWORD (basic auth) first")
    return make_server(host, port, create_app(conn, settings), threaded=True)
