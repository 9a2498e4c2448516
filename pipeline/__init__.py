"""Website-first outreach pipeline: CSV → scrape → build → deploy → qa → email, on Redis/RQ."""

__version__ = "0.1.0"
