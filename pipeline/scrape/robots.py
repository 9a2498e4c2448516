"""robots.txt, honoured for every page beyond the home page (the lead's own URL is always read)."""

from __future__ import annotations

from urllib.parse import urljoin
from urllib.robotparser import RobotFileParser

from pipeline.errors import PermanentError, PipelineError
from pipeline.scrape.fetch import Fetcher

TEXT_TYPES = ("text/plain", "text/html", "application/octet-stream")


class Robots:
    """The rules of one origin for our user agent."""

    def __init__(self, parser: RobotFileParser | None, *, allow_all: bool) -> None:
        self.parser = parser
        self.allow_all = allow_all

    def allowed(self, url: str, user_agent: str) -> bool:
        """True when `url` may be fetched by `user_agent`."""
        if self.parser is None:
            return self.allow_all
        return self.parser.can_fetch(agent_token(user_agent), url)


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups match (`ProspectPipelineBot` of `ProspectPipelineBot/0.1 (...)`)."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


def load_robots(origin: str, fetcher: Fetcher) -> Robots:
    """Fetch `/robots.txt`. Absent (4xx) allows everything; unreachable (5xx, timeout) allows
    nothing beyond the home page, as the robots.txt convention asks."""
    try:
        resp = fetcher.get(urljoin(origin, "/robots.txt"), accept=TEXT_TYPES, max_bytes=500_000)
    except PermanentError:
        return Robots(None, allow_all=True)
    except PipelineError:
        return Robots(None, allow_all=False)
    parser = RobotFileParser()
    parser.parse(resp.text().splitlines())
    return Robots(parser, allow_all=True)
