"""Static checks of a built page: structure, accessibility basics, and that nothing is active."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re

from bs4 import BeautifulSoup, Tag

from pipeline.render.urls import is_allowed


def soup_of(html: bytes | str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def inert_problems(html: bytes, own_files: set[str]) -> list[str]:
    """Everything that could run or leak: scripts, handlers, inline styles, foreign URLs."""
    soup = soup_of(html)
    problems = [f"<{t.name}>" for t in soup.find_all(["script", "iframe", "object", "embed", "form", "base", "svg"])]
    for tag in soup.find_all(True):
        for attr, value in tag.attrs.items():
            if attr.lower().startswith("on"):
                problems.append(f"{tag.name}[{attr}]")
            if attr.lower() in ("style", "srcdoc", "formaction", "action", "background"):
                problems.append(f"{tag.name}[{attr}]")
            urlish = attr.lower() in ("href", "src", "poster", "data", "xlink:href")
            if urlish and not is_allowed(str(value), own_files):
                problems.append(f"{tag.name}[{attr}]={value!r}")
            if attr.lower() == "srcset":  # "a.webp 480w, b.webp 800w": every candidate one of ours
                candidates = [c.strip().split(" ")[0] for c in str(value).split(",")]
                problems += [f"{tag.name}[srcset] names {c!r}" for c in candidates if c not in own_files]
    metas = soup.find_all("meta", attrs={"http-equiv": True})
    for meta in metas:
        if meta["http-equiv"].lower() == "refresh":
            problems.append("meta refresh")
    if len([m for m in metas if m["http-equiv"] == "Content-Security-Policy"]) != 1:
        problems.append("not exactly one CSP meta")
    return problems


def structure_problems(html: bytes) -> list[str]:
    """One h1, headings in order, landmarks, lang, alt text, skip link, CSP hash of the style."""
    soup = soup_of(html)
    problems: list[str] = []
    levels = [int(h.name[1]) for h in soup.find_all(re.compile(r"^h[1-6]$"))]
    if levels.count(1) != 1 or levels[0] != 1:
        problems.append(f"h1 count/first: {levels}")
    if any(b - a > 1 for a, b in itertools.pairwise(levels)):
        problems.append(f"heading levels skip: {levels}")
    html_tag = soup.find("html")
    if not isinstance(html_tag, Tag) or not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)?", str(html_tag.get("lang", ""))):
        problems.append("lang missing")
    for landmark in ("header", "main", "footer", "nav"):
        if len(soup.find_all(landmark)) != 1:
            problems.append(f"{landmark} count")
    nav = soup.find("nav")
    if isinstance(nav, Tag) and not nav.get("aria-label"):
        problems.append("nav unnamed")
    problems += [f"img without alt: {img}" for img in soup.find_all("img") if not str(img.get("alt", "")).strip()]
    first_link = soup.body.find("a") if soup.body else None
    if not isinstance(first_link, Tag) or first_link.get("href") != "#main" or not soup.find(id="main"):
        problems.append("skip link is not the first link or #main is missing")
    styles = soup.find_all("style")
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    if len(styles) != 1 or not isinstance(csp, Tag):
        problems.append("expected one <style> and a CSP meta")
    else:
        digest = base64.b64encode(hashlib.sha256(styles[0].string.encode()).digest()).decode()
        policy = str(csp["content"])
        if f"'sha256-{digest}'" not in policy or "unsafe-inline" in policy or "default-src 'none'" not in policy:
            problems.append(f"CSP does not pin the stylesheet: {policy}")
    if ":focus-visible{outline" not in (styles[0].string if styles else ""):
        problems.append("no visible focus style")
    return problems
