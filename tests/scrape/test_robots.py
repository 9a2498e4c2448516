"""robots.txt is honoured for every page beyond the home page; the page budget is kept."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.scrape.helpers import page, scrape_url, settings, write_site
from tests.support.servers import serve

SITE = {
    "index.html": page(
        body='<nav><a href="/contact.html">Contact</a><a href="/about.html">About us</a>'
        '<a href="/impressum.html">Impressum</a><a href="/menu.html">Menu</a></nav>'
    ),
    "contact.html": page(body='<a href="mailto:hi@acme.example">hi</a>'),
    "about.html": page(body="<p>about</p>"),
    "impressum.html": page(body="<p>impressum</p>"),
}


class Recording(SimpleHTTPRequestHandler):
    """Static files, every requested path recorded; `/robots.txt` answers with `robots_status`."""

    def __init__(self, *args: Any, paths: list[str], robots_status: int, **kwargs: Any) -> None:
        self.paths, self.robots_status = paths, robots_status
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        self.paths.append(self.path)
        if self.path == "/robots.txt" and self.robots_status != 200:
            self.send_error(self.robots_status)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def crawl(tmp_path: Path, robots: str | None, robots_status: int = 200, **overrides: Any) -> tuple[list[str], Any]:
    files: dict[str, str | bytes] = dict(SITE)
    if robots is not None:
        files["robots.txt"] = robots
    root = write_site(tmp_path, files)
    paths: list[str] = []
    handler = functools.partial(Recording, directory=str(root), paths=paths, robots_status=robots_status)
    with serve(handler) as url:
        profile = scrape_url(url, settings(**overrides))
    return paths, profile


def test_pages_disallowed_by_robots_txt_are_not_fetched(tmp_path: Path) -> None:
    paths, profile = crawl(tmp_path, "User-agent: *\nDisallow: /contact.html\n")
    assert "/contact.html" not in paths and "/about.html" in paths
    assert any("robots.txt disallows" in note for note in profile.notes)
    assert profile.sources["email"] == "csv"


def test_a_group_for_our_user_agent_is_honoured(tmp_path: Path) -> None:
    robots = "User-agent: ProspectPipelineBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    paths, _ = crawl(tmp_path, robots)
    assert paths[0] == "/" and not {"/contact.html", "/about.html", "/impressum.html"} & set(paths)


def test_the_home_page_is_read_even_when_robots_txt_disallows_everything(tmp_path: Path) -> None:
    paths, profile = crawl(tmp_path, "User-agent: *\nDisallow: /\n")
    assert paths[0] == "/" and profile.pages_fetched == [profile.website]


def test_no_robots_txt_allows_the_contact_page(tmp_path: Path) -> None:
    paths, profile = crawl(tmp_path, None)
    assert "/contact.html" in paths and profile.email == "hi@acme.example"


def test_an_erroring_robots_txt_allows_nothing_beyond_the_home_page(tmp_path: Path) -> None:
    paths, _ = crawl(tmp_path, None, robots_status=503)
    assert "/robots.txt" in paths and not {"/contact.html", "/about.html"} & set(paths)


def test_the_page_budget_caps_the_pages_fetched_contact_first(tmp_path: Path) -> None:
    paths, profile = crawl(tmp_path, None, scrape_page_budget=2)
    html_pages = [p for p in paths if p.endswith(".html") or p == "/"]
    assert html_pages == ["/", "/contact.html"]
    assert len(profile.pages_fetched) == 2
