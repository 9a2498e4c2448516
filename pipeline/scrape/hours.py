"""Opening hours as the site states them: schema.org first (`openingHoursSpecification`, the
`openingHours` shorthand, in JSON-LD or microdata), else a block of the page under an "opening
hours" heading or class whose rows pair days with times. Nothing found, nothing returned."""

from __future__ import annotations

import re
from typing import Any

from bs4 import Tag

from pipeline.models import HoursRow
from pipeline.scrape.page import Page, clean, hidden

CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_WORDS = {
    "Mo": "monday montag lundi lunedì lunedi lunes maandag mon mo lun",
    "Tu": "tuesday dienstag mardi martedì martedi martes dinsdag tue tues tu di mar",
    "We": "wednesday mittwoch mercredi mercoledì mercoledi miércoles woensdag wed we mi mer",
    "Th": "thursday donnerstag jeudi giovedì giovedi jueves donderdag thu thur thurs th do jeu gio",
    "Fr": "friday freitag vendredi venerdì venerdi viernes vrijdag fri fr ven vie",
    "Sa": "saturday samstag samedi sabato sábado zaterdag sat sa sam sab",
    "Su": "sunday sonntag dimanche domenica domingo zondag sun su so dim dom",
}
_DAY = {word: code for code, words in _DAY_WORDS.items() for word in words.split()}
_HOURS_HINT = re.compile(
    r"opening|hours|öffnungszeit|oeffnungszeit|sprechzeit|horaire|orari|horario|openingstijden", re.I
)
_TIME = re.compile(r"\d{1,2}\s*(?:[:.h]\s*\d{2})?\s*(?:am|pm|uhr|h)?", re.I)
_CLOSED = re.compile(r"closed|geschlossen|fermé|ferme|chiuso|cerrado|gesloten|ruhetag", re.I)
_SHORTHAND = re.compile(r"^\s*([A-Za-z]{2}(?:\s*[-,]\s*[A-Za-z]{2})*)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
MAX_ROWS = 8
MAX_SCAN = 300


def _code(word: str) -> str | None:
    key = word.strip().strip(".:").lower().rsplit("/", 1)[-1]
    return _DAY.get(key)


def _span(start: str, end: str) -> list[str]:
    i, j = CODES.index(start), CODES.index(end)
    return list(CODES[i : j + 1]) if i <= j else [*CODES[i:], *CODES[: j + 1]]


def _group(slots: dict[str, list[str]]) -> list[HoursRow]:
    """Day → time ranges, grouped into rows of days sharing the same times, in week order."""
    rows: list[HoursRow] = []
    for code in CODES:
        if code not in slots:
            continue
        times = " · ".join(slots[code])
        same = next((r for r in rows if r.times == times), None)
        if same is not None:
            same.codes.append(code)
            same.days = ", ".join(same.codes)
        else:
            rows.append(HoursRow(days=code, times=times, codes=[code]))
    return rows[:MAX_ROWS]


def _from_specification(specs: Any, slots: dict[str, list[str]]) -> None:
    for spec in specs if isinstance(specs, list) else [specs]:
        if not isinstance(spec, dict):
            continue
        opens, closes = str(spec.get("opens", ""))[:5], str(spec.get("closes", ""))[:5]
        if not (re.fullmatch(r"\d{1,2}:\d{2}", opens) and re.fullmatch(r"\d{1,2}:\d{2}", closes)):
            continue
        days = spec.get("dayOfWeek", [])
        for day in days if isinstance(days, list) else [days]:
            code = _code(str(day))
            if code and f"{opens}–{closes}" not in slots.setdefault(code, []):
                slots[code].append(f"{opens}–{closes}")


def _from_shorthand(values: Any, slots: dict[str, list[str]]) -> None:
    for value in values if isinstance(values, list) else [values]:
        for part in str(value).split(";") if len(str(value)) < 500 else []:
            match = _SHORTHAND.match(part)
            if not match:
                continue
            days: list[str] = []
            for chunk in match.group(1).replace(" ", "").split(","):
                ends = [_code(x) for x in chunk.split("-")]
                if all(ends) and len(ends) == 2:
                    days += _span(str(ends[0]), str(ends[1]))
                elif all(ends) and len(ends) == 1:
                    days.append(str(ends[0]))
            for code in days:
                slot = f"{match.group(2)}–{match.group(3)}"
                if slot not in slots.setdefault(code, []):
                    slots[code].append(slot)


def structured(page: Page) -> list[HoursRow]:
    """Hours from schema.org data: JSON-LD objects and `itemprop=openingHours` microdata."""
    slots: dict[str, list[str]] = {}
    for item in page.json_ld():
        _from_specification(item.get("openingHoursSpecification", []), slots)
        _from_shorthand(item.get("openingHours", []), slots)
    for tag in page.soup.find_all(True, attrs={"itemprop": "openingHours"}, limit=20):
        _from_shorthand(tag.get("content") or tag.get("datetime") or tag.get_text(" "), slots)
    return _group(slots)


def _row(tag: Tag) -> HoursRow | None:
    """A row "Monday: 8–18" / "Mo – Fr | 8h – 20h" / "Sa, So Geschlossen": days first, then times."""
    text = clean(tag.get_text(" "))
    if not 3 <= len(text) <= 80:
        return None
    match = re.match(r"^([^\d]+?)\s*[:|]?\s*(\d.*|" + _CLOSED.pattern + r")$", text, re.I)
    if not match:
        return None
    days_text, times = match.group(1).strip(" :–-|"), match.group(2).strip()
    words = re.findall(r"[^\W\d_]+", days_text)
    codes = [c for c in (_code(w) for w in words) if c]
    if not codes or len(codes) < len([w for w in words if len(w) > 2]) // 2:
        return None
    if not (_TIME.search(times) or _CLOSED.search(times)):
        return None
    if len(codes) == 2 and re.search(r"[-–—]|\bto\b|\bbis\b|\bau\b|\bal\b", days_text):
        codes = _span(codes[0], codes[1])
    return HoursRow(days=days_text[:60], times=times[:60], codes=codes)


def from_text(page: Page) -> list[HoursRow]:
    """Hours from a visible block whose heading or class says "opening hours"."""
    blocks: list[Tag] = []
    for tag in page.soup.find_all(class_=_HOURS_HINT, limit=MAX_SCAN):
        blocks.append(tag)
    for heading in page.soup.find_all(["h2", "h3", "h4", "h5", "h6", "strong", "div"], limit=MAX_SCAN * 4):
        if heading.string and _HOURS_HINT.search(str(heading.string)) and isinstance(heading.parent, Tag):
            blocks.append(heading.parent)
    for block in blocks[:MAX_SCAN]:
        if hidden(block):
            continue
        rows: list[HoursRow] = []
        for item in block.find_all(["li", "tr", "div", "p"], limit=MAX_SCAN):
            if item.find(["li", "tr", "div", "p"]):
                continue  # leaves only: a row, not the list holding it
            row = _row(item)
            if row and row.days not in (r.days for r in rows):
                rows.append(row)
        if rows and all(r.codes for r in rows):  # one row per day: group days sharing their times
            slots: dict[str, list[str]] = {}
            for r in rows:
                for code in r.codes:
                    slots.setdefault(code, [r.times])
            return _group(slots)
        if rows:
            return rows[:MAX_ROWS]
    return []


def opening_hours(pages: list[Page]) -> tuple[list[HoursRow], str]:
    """(rows, source): structured data of any page first, then the text of any page."""
    for page in pages:
        rows = structured(page)
        if rows:
            return rows, "schema.org"
    for page in pages:
        rows = from_text(page)
        if rows:
            return rows, "text"
    return [], "none"
