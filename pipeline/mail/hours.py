"""The optional sending window: weekday hours in the prospect's own time zone.

The time zone comes from the CSV's `country` column (an ISO code or a common English name) through a
small map of one zone per country (the capital's; a country spanning zones gets its most populous
one); an unknown country falls back to `send_default_timezone`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

COUNTRY_TZ = {
    "uk": "Europe/London", "gb": "Europe/London", "united kingdom": "Europe/London", "england": "Europe/London",
    "scotland": "Europe/London", "wales": "Europe/London", "ie": "Europe/Dublin", "ireland": "Europe/Dublin",
    "us": "America/New_York", "usa": "America/New_York", "united states": "America/New_York",
    "ca": "America/Toronto", "canada": "America/Toronto", "mx": "America/Mexico_City", "mexico": "America/Mexico_City",
    "br": "America/Sao_Paulo", "brazil": "America/Sao_Paulo", "ar": "America/Argentina/Buenos_Aires",
    "de": "Europe/Berlin", "germany": "Europe/Berlin", "deutschland": "Europe/Berlin",
    "fr": "Europe/Paris", "france": "Europe/Paris", "es": "Europe/Madrid", "spain": "Europe/Madrid",
    "it": "Europe/Rome", "italy": "Europe/Rome", "nl": "Europe/Amsterdam", "netherlands": "Europe/Amsterdam",
    "be": "Europe/Brussels", "belgium": "Europe/Brussels", "at": "Europe/Vienna", "austria": "Europe/Vienna",
    "ch": "Europe/Zurich", "switzerland": "Europe/Zurich", "pt": "Europe/Lisbon", "portugal": "Europe/Lisbon",
    "se": "Europe/Stockholm", "sweden": "Europe/Stockholm", "no": "Europe/Oslo", "norway": "Europe/Oslo",
    "dk": "Europe/Copenhagen", "denmark": "Europe/Copenhagen", "fi": "Europe/Helsinki", "finland": "Europe/Helsinki",
    "pl": "Europe/Warsaw", "poland": "Europe/Warsaw", "cz": "Europe/Prague", "czechia": "Europe/Prague",
    "gr": "Europe/Athens", "greece": "Europe/Athens", "tr": "Europe/Istanbul", "turkey": "Europe/Istanbul",
    "in": "Asia/Kolkata", "india": "Asia/Kolkata", "jp": "Asia/Tokyo", "japan": "Asia/Tokyo",
    "cn": "Asia/Shanghai", "china": "Asia/Shanghai", "sg": "Asia/Singapore", "singapore": "Asia/Singapore",
    "au": "Australia/Sydney", "australia": "Australia/Sydney", "nz": "Pacific/Auckland",
    "new zealand": "Pacific/Auckland", "za": "Africa/Johannesburg", "south africa": "Africa/Johannesburg",
}  # fmt: skip


def parse_hours(spec: str) -> tuple[int, int]:
    """`"9-17"` → (9, 17): sending is allowed from 09:00 to 16:59 local time, Monday to Friday."""
    start, sep, end = spec.replace(" ", "").partition("-")
    if not sep or not start.isdigit() or not end.isdigit() or not 0 <= int(start) < int(end) <= 24:
        raise ValueError(f"send_hours must look like 9-17 (start < end, 0-24), got {spec!r}")
    return int(start), int(end)


def zone_for(country: str, default: str = "UTC") -> ZoneInfo:
    """The time zone of a country cell; `default` when it is empty or unknown."""
    name = COUNTRY_TZ.get(country.strip().lower().rstrip("."), default)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def seconds_until_open(now: datetime, zone: ZoneInfo, hours: tuple[int, int]) -> float:
    """0 when `now` (aware) is inside the weekday window in `zone`, else the seconds until it opens."""
    local = now.astimezone(zone)
    start, end = hours
    if local.weekday() < 5 and start <= local.hour < end:
        return 0.0
    day = local.replace(hour=start, minute=0, second=0, microsecond=0)
    if local.hour >= start:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    # wall-clock arithmetic: re-attach the zone so a DST change between now and then is honoured
    opens = datetime(day.year, day.month, day.day, start, tzinfo=zone)
    return max(1.0, (opens - now).total_seconds())
