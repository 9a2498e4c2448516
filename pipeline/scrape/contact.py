"""Contact details: phone, email, postal address and social profiles.

Sources in order of trust: schema.org JSON-LD and microdata, `tel:`/`mailto:` links, then visible
text (labelled phone numbers, plain email addresses, `<address>`). Placeholders from templates
(`info@example.com`, `+1234567890`, `[Your Phone Number]`) are never reported.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from bs4 import Tag

from pipeline.scrape.page import Page, clean, hidden, ld_types
from pipeline.scrape.phones import phone_cue

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}\b")
_PLACEHOLDER_MAIL = re.compile(
    r"@(example|exemple|beispiel|ejemplo|esempio|voorbeeld|przyklad|domain|yourdomain|your-domain|email|mail|test|"
    r"company|website|sitename)\.|^(name|your|you|user|email|"
    r"john|jane|someone)@|^your[\w.-]*@|\.(png|jpe?g|gif|webp|svg)$",
    re.I,
)
_PHONE = re.compile(r"(?<![\w.])(?:\+|00)?\(?\d[\d\s().\-/]{5,18}\d(?![\w])")
_PHONE_LABEL = re.compile(
    r"(tel|phone|telefon|téléphone|tél|fon|call|ruf|mobil|handy|cell|☎|📞|whatsapp|contact|kontakt|contatto|"
    r"contacto|telefono|teléfono|tlf|portable|gsm|móvil|movil|cellulare)\W{0,4}$",
    re.I,
)
# One number for both ("tel/fax: +39 0432 732438", "Telefon & Fax"): it is the phone too.
_PHONE_AND_FAX = re.compile(
    r"(tel|phone|telefon|tél|fon)\.?\s*[/&+,]\s*(tele)?fax\W{0,4}$|fax\s*[/&+,]\s*(tel|phone)", re.I
)
TOWN = re.compile(r"(?:\b[A-Z]{1,2}-)?\b\d{4,5}\s+[A-ZÀ-Ý][^\W\d_]{2,}|\b[A-Z][a-z]+,?\s+[A-Z]{2}\s+\d{5}(?:-\d{4})?\b")
_STREET = re.compile(r"\d+\s*[a-zA-Z]?\b.*[^\W\d_]{3,}|[^\W\d_]{3,}.*\s\d+\s*[a-zA-Z]?\b")
_NOT_ADDRESS = re.compile(r"tel|fax|phone|fon|mobil|ust|vat|iban|§|id:|\bnr\.|since|seit|depuis|@", re.I)
_BRACKETS = re.compile(r"\s*[\[(][^\])]*[\])]")
# Two times of day ("08.00 - 12.00", "8:00 bis 12:00"), not a French dotted number ("04.73.95.00.48").
_TIMES = re.compile(r"\b\d{1,2}[:.]\d{2}\b(?:\D{2,}|[^\d.])\b\d{1,2}[:.]\d{2}\b")
# Numbers that are not phones: dates (01.05.2019, 2019-05-01, 1/5/2019) and what a label before or a
# unit after says is something else (fax, tax, company and bank IDs, prices, sizes, counts).
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-](?:19|20)\d{2}\b|\b(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}\b")
_NOT_PHONE_BEFORE = re.compile(
    r"(\b(fax|telefax|ust|ust-?idnr|idnr|vat|tva|iva|nip|regon|krs|siret|siren|rcs|naf|iban|bic|swift|blz|konto|hrb|"
    r"hra|steuer\w*|tax|abn|acn|gst|cif|nif|kvk|btw|uid|ref|order|invoice|rechnung\w*|kunden\w*|datum|date|preis|"
    r"price|prix|prezzo|seit|since|depuis)|€|\$|£|chf|eur)\W{0,4}$",
    re.I,
)
_NOT_PHONE_AFTER = re.compile(r"^\s*(€|eur\b|chf\b|usd\b|\$|%|m2|m²|km|kg|qm|sqm|ft|mm|cm)", re.I)
_OTHERS = re.compile(
    r"notdienst|notfall|notruf|bereitschaftsdienst|giftnotruf|emergency (?:service|number|line|dental)|poison|"
    r"ärztlicher bereitschaft|116\s?117|réalisé par|realise par|conçu par|designed by|developed by|created by|"
    r"powered by|website by|site by|made by|web ?design|erstellt von|gestaltet von|realizzato da",
    re.I,
)
_WHATSAPP = re.compile(r"(?:wa\.me/|[?&]phone=)\+?(\d{8,15})\b", re.I)
# Legal pages name the host, the web agency and the data-protection authority with their contacts.
LEGAL_PAGE = re.compile(
    r"impressum|imprint|mentions|legal|note-legali|datenschutz|privacy|confidentialit|cookie|agb|cgv|terms", re.I
)
SOCIAL_HOSTS = (
    "facebook.com",
    "instagram.com",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "youtube.com",
    "tiktok.com",
    "pinterest.com",
    "threads.net",
    "xing.com",
    "tripadvisor.com",
    "yelp.com",
)
_SHARE = re.compile(
    r"sharer|/share|intent/|/dialog/|shareArticle|/plugins/|your[-_]?(user|page|name|profile)|/username", re.I
)
_PERSONAL = re.compile(r"team|staff|chef|member|testimonial|author|review|person|employee|mitarbeiter", re.I)
_BUSINESS_CONTAINER = re.compile(r"Organization|Business|Restaurant|Store|Cafe|Dentist|Physician|Bakery", re.I)


@dataclass
class Contact:
    """What was found, each with the place it came from."""

    phone: str | None = None
    email: str | None = None
    address: str | None = None
    social: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def digits(phone: str) -> str:
    """Only the digits of a phone number."""
    return re.sub(r"\D", "", phone)


# Numbers shipped in popular site templates (BootstrapMade, Colorlib) and fictional 555-01xx.
_TEMPLATE_PHONES = ("558955488", "3923929210", "1235235598", "55501")


def placeholder_phone(phone: str) -> bool:
    """Template numbers: too few or too many digits, one or two digits only, 123456, a run of seven
    consecutive digits up or down (9876543) or six equal ones, a known template number."""
    d = digits(phone)
    if len(d) < 6 or len(d) > 15 or len(set(d)) <= 2 or "123456" in d or any(t in d for t in _TEMPLATE_PHONES):
        return True
    steps = [int(b) - int(a) for a, b in itertools.pairwise(d)]
    run = 0
    for previous, step in zip([None, *steps], steps, strict=False):
        run = run + 1 if step in (1, -1, 0) and step == previous else 1
        if run >= (5 if step == 0 else 6):  # equal steps in a row: six equal digits, seven in a run
            return True
    return False


def _ld_business(page: Page) -> list[dict[str, Any]]:
    return [item for item in page.json_ld() if ld_types(item) and not ld_types(item) <= {"webpage", "website"}]


def find_email(page: Page) -> tuple[str, str] | None:
    """(address, source): JSON-LD, then a `mailto:` link, then an address in visible text."""
    for item in _ld_business(page):
        value = item.get("email")
        if isinstance(value, str) and _usable_email(value.removeprefix("mailto:")):
            return value.removeprefix("mailto:").strip(), "json-ld"
    for tag in page.soup.select("[data-cfemail], a[href*='/cdn-cgi/l/email-protection#']"):
        encoded = str(tag.get("data-cfemail") or str(tag.get("href", "")).rsplit("#", 1)[-1])
        address = cloudflare_email(encoded)
        if address and _usable_email(address) and not hidden(tag):
            return address, "obfuscated"
    for a in page.soup.select('a[href^="mailto:" i]'):
        address = unquote(str(a["href"])[7:].split("?", 1)[0]).strip()
        if _usable_email(address) and not hidden(a) and not _someone_else(a):
            return address, "mailto"
    for text, parent in page.visible_text_nodes():
        for match in _EMAIL.finditer(text):
            if _usable_email(match[0]) and not _someone_else(parent):
                return match[0], "text"
    return None


def cloudflare_email(encoded: str) -> str | None:
    """Decode Cloudflare's e-mail obfuscation (hex: a key byte, then the address XOR the key)."""
    try:
        raw = bytes.fromhex(encoded.strip())
    except ValueError:
        return None
    if len(raw) < 2:
        return None
    try:
        return bytes(b ^ raw[0] for b in raw[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _usable_email(address: str) -> bool:
    return bool(_EMAIL.fullmatch(address.strip())) and not _PLACEHOLDER_MAIL.search(address.strip())


def find_phone(page: Page) -> tuple[str, str] | None:
    """(number as shown, source): a JSON-LD number the page also shows, then a `tel:` or WhatsApp
    link or a labelled number in text, then a JSON-LD number the page does not show."""
    declared = [
        value
        for item in _ld_business(page)
        if isinstance(value := item.get("telephone"), str) and not placeholder_phone(value)
    ]
    shown_digits = [digits(text) for text, _ in page.visible_text_nodes() if any(c.isdigit() for c in text)]
    for value in declared:  # the declared number a visitor also reads on the page
        if any(digits(value)[-6:] in line for line in shown_digits):
            return _shown_as(page, value), "json-ld"
    found = _linked_or_written_phone(page)
    if found:
        return found
    return (declared[0].strip(), "json-ld") if declared else None


def _linked_or_written_phone(page: Page) -> tuple[str, str] | None:
    """Microdata, a `tel:` link, a WhatsApp chat link, then a labelled number in the text."""
    for scope in page.soup.find_all(itemprop="telephone"):
        value = clean(str(scope.get("content") or scope.get_text(" ")))
        if value and not placeholder_phone(value):
            return value, "microdata"
    for a in page.soup.select('a[href^="tel:" i]'):
        number = unquote(str(a["href"])[4:]).strip()
        if placeholder_phone(number) or hidden(a) or _someone_else(a):
            continue
        shown = _PHONE.search(clean(a.get_text(" ")))
        if shown and digits(shown[0])[-6:] == digits(number)[-6:]:
            return shown[0].strip(), "tel"
        return number, "tel"
    for a in page.soup.select('a[href*="wa.me/" i], a[href*="whatsapp.com/send" i]', limit=50):
        chat = _WHATSAPP.search(str(a["href"]))
        if chat and not placeholder_phone(chat[1]) and not hidden(a) and not _someone_else(a):
            return f"+{chat[1]}", "whatsapp"
    text_nodes = list(page.visible_text_nodes())
    for i, (text, parent) in enumerate(text_nodes):
        if _PHONE.search(text) and _someone_else(parent):
            continue
        for match in _PHONE.finditer(text):
            before = (text[: match.start()] or (text_nodes[i - 1][0] if i else "")).strip()
            number = match[0].strip()
            # Unlabelled, only a number shaped like a full phone number counts: an international or
            # trunk prefix, separators, 9+ digits, and not a pair of times ("08.00 - 12.00").
            shaped = number.startswith(("+", "0", "(")) and re.search(r"[\s.\-/]", number) and len(digits(number)) >= 9
            if placeholder_phone(number) or _TIMES.search(number) or _DATE.search(number):
                continue
            shared = _PHONE_AND_FAX.search(before)
            if (_NOT_PHONE_BEFORE.search(before) and not shared) or _NOT_PHONE_AFTER.match(text[match.end() :]):
                continue
            if not (shared or _PHONE_LABEL.search(before) or (shaped and phone_cue(parent))):
                continue
            return number, "text"
    return None


def _someone_else(tag: Tag) -> bool:
    """A number or address in a line about an emergency service or the site's maker is not the business's."""
    block = tag.parent if tag.name == "a" and isinstance(tag.parent, Tag) else tag
    return bool(_OTHERS.search(clean(block.get_text(" "))[:300]))


def _shown_as(page: Page, number: str) -> str:
    """The spelling of `number` shown on the page (same digits, last 6 at least), else as given."""
    tail = digits(number)[-6:]
    for text, _ in page.visible_text_nodes():
        for match in _PHONE.finditer(text):
            if digits(match[0]).endswith(tail):
                return match[0].strip()
    return number.strip()


def find_address(page: Page) -> tuple[str, str] | None:
    """(one-line address, source) from JSON-LD, microdata or an `<address>` element."""
    for item in _ld_business(page):
        addr = item.get("address")
        if isinstance(addr, list) and addr:
            addr = addr[0]
        if isinstance(addr, dict):
            line = _postal_line(addr)
            if line:
                return line, "json-ld"
        elif isinstance(addr, str) and clean(addr):
            return clean(addr), "json-ld"
    for scope in page.soup.find_all(itemtype=re.compile("PostalAddress", re.I)):
        props = {str(t.get("itemprop")): clean(t.get_text(" ")) for t in scope.find_all(itemprop=True)}
        line = _postal_line(props)
        if line:
            return line, "microdata"
    for tag in page.soup.find_all("address"):
        lines = [
            clean(s) for s in tag.stripped_strings if clean(s) and not _EMAIL.search(s) and not _PHONE.fullmatch(s)
        ]
        if lines and not hidden(tag):
            return ", ".join(lines[:3]), "address element"
    return _address_in_text(page)


def _address_in_text(page: Page) -> tuple[str, str] | None:
    """A visible line with a postcode and town, joined to the street line before it when the
    street is on its own line ("7 rue Coëtlogon" / "75006 Paris")."""
    nodes = list(page.visible_text_nodes())
    for i, (text, _) in enumerate(nodes):
        if len(text) > 90 or "©" in text or _NOT_ADDRESS.search(text):
            continue
        town = TOWN.search(text)
        if not town:
            continue
        line = _BRACKETS.sub("", text).strip(" ,")
        if not _STREET.search(text[: town.start()]) and i > 0:
            before = nodes[i - 1][0]
            if len(before) <= 60 and _STREET.search(before) and not _NOT_ADDRESS.search(before):
                line = f"{before.strip(' ,')}, {line}"
        return line, "text"
    return None


def _postal_line(addr: dict[str, Any]) -> str | None:
    street = clean(str(addr.get("streetAddress") or ""))
    town = " ".join(clean(str(addr.get(k) or "")) for k in ("postalCode", "addressLocality") if addr.get(k))
    parts = [p for p in (street, town) if p]
    return ", ".join(parts) if parts else None


def find_social(page: Page) -> list[str]:
    """The business's own social profile URLs linked from the page (no share buttons, no staff)."""
    found: list[str] = []
    seen: set[str] = set()
    for a in page.soup.find_all("a", href=True, limit=3000):
        href = str(a["href"]).strip()
        parts = urlsplit(href)
        host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
        if parts.scheme not in ("http", "https") or not any(host == h or host.endswith("." + h) for h in SOCIAL_HOSTS):
            continue
        if (parts.path.strip("/") == "" and "id=" not in parts.query) or _SHARE.search(href) or hidden(a):
            continue
        if any(
            isinstance(p, Tag) and _PERSONAL.search(f"{p.get('id', '')} {' '.join(p.get('class') or [])}")
            for p in a.parents
        ):
            continue
        key = host + parts.path.rstrip("/").lower() + ("?" + parts.query if "id=" in parts.query else "")
        if key not in seen:
            seen.add(key)
            found.append(href)
    return found


def extract_contact(pages: list[Page]) -> Contact:
    """Contact details from the home page; later pages only fill what the home page lacks, and
    legal pages (imprint, privacy) never: their numbers and addresses are often the host's, the
    agency's or an authority's. Social links come from the home page alone (other pages link staff
    and partners)."""
    contact = Contact(social=find_social(pages[0]))
    if contact.social:
        contact.sources["social"] = "home links"
    for index, page in enumerate(pages):
        if index and LEGAL_PAGE.search(urlsplit(page.url).path):
            continue
        where = "" if index == 0 else f" ({urlsplit(page.url).path})"
        for name, finder in (("phone", find_phone), ("email", find_email), ("address", find_address)):
            if getattr(contact, name) is None:
                got = finder(page)
                if got:
                    setattr(contact, name, got[0])
                    contact.sources[name] = got[1] + where
    return contact
