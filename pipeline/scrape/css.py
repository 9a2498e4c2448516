"""CSS read with tinycss2 into flat rules: selector, property, value, and the stylesheet it came from.

At-rules with blocks (`@media`, `@supports`, `@layer`) are descended into; `@font-face`,
`@keyframes` and the like carry no brand colours and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import tinycss2
from tinycss2.ast import Declaration, Node, QualifiedRule

from pipeline.scrape.page import Sheet

_DESCEND = {"media", "supports", "layer", "document", "container"}
# Conditional styles that are not the brand as most visitors see it.
_SKIP_MEDIA = re.compile(r"print|prefers-contrast|prefers-color-scheme\s*:\s*dark|forced-colors|inverted-colors", re.I)

# Stylesheets of frameworks and plugins, by file name: their colours are defaults, not the brand.
FRAMEWORK = re.compile(
    r"bootstrap|tailwind|font-?awesome|fontawesome|water(\.min)?\.css|normalize|reset|foundation|bulma|"
    r"materiali[sz]e|animate|owl|lightbox|fancybox|tippy|quarto|highlight|glide|swiper|slick|aos|bootstrap-icons|"
    r"jquery|select2|leaflet|magnific|splide|flickity|lity|venobox|glightbox|remixicon|boxicons|datepicker|timepicker|"
    r"flatpickr|icomoon|ionicons|flaticon|iconic|icofont|themify|linearicons|line-awesome|simple-line-icons|"
    r"nice-select|bxslider|colorbox|prettyphoto|photoswipe|lightgallery|mediaelement|fullcalendar",
    re.I,
)


def vendor_sheet(url: str) -> bool:
    """A framework's or plugin's stylesheet (bootstrap.min.css, owl.carousel.css, /vendor/...)."""
    return bool(FRAMEWORK.search(url.rsplit("/", 1)[-1].split("?", 1)[0])) or "/vendor/" in url


@dataclass(frozen=True)
class Decl:
    """One declaration in context."""

    selector: str
    name: str
    value: list[Node]
    sheet: Sheet

    @property
    def text(self) -> str:
        """The value serialised back to CSS."""
        return str(tinycss2.serialize(self.value)).strip()


def declarations(sheet: Sheet) -> list[Decl]:
    """Every declaration of a stylesheet, in order (parsed once, then cached on the sheet)."""
    if sheet.parsed is None:
        rules = tinycss2.parse_stylesheet(sheet.text, skip_comments=True, skip_whitespace=True)
        sheet.parsed = _walk(rules, sheet)
    return list(sheet.parsed)


def inline_declarations(style: str, selector: str, sheet: Sheet) -> list[Decl]:
    """Declarations of a `style=""` attribute, given a pseudo-selector that says where it was."""
    items = tinycss2.parse_blocks_contents(style, skip_comments=True, skip_whitespace=True)
    return [Decl(selector, d.lower_name, d.value, sheet) for d in items if isinstance(d, Declaration)]


def _walk(rules: list[Node], sheet: Sheet) -> list[Decl]:
    out: list[Decl] = []
    for rule in rules:
        if isinstance(rule, QualifiedRule):
            selector = str(tinycss2.serialize(rule.prelude)).strip()
            for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if isinstance(d, Declaration):
                    out.append(Decl(selector, d.lower_name, d.value, sheet))
        elif getattr(rule, "type", "") == "at-rule" and rule.lower_at_keyword in _DESCEND and rule.content:
            if _SKIP_MEDIA.search(str(tinycss2.serialize(rule.prelude))):
                continue
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            out.extend(_walk(inner, sheet))
    return out
