"""Writes the hostile CSV corpus (tests/data/csv/*) and its manifest of expected outcomes.

Every file is something an agency's export, a careless hand or an attacker could drop into the
inbox. Regenerate with `python -m tests.data.csv_corpus` after changing a case here; the files are
committed so a reviewer can open them. `tests/test_ingest_corpus.py` runs every case through the CLI.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "csv"
HEAD = "company,website,email"
GOOD = [
    "Rosie's Bakery,rosies-bakery.example.com,rosie@rosies-bakery.example.com",
    "Northside Plumbing,https://northside-plumbing.example.org/,info@northside-plumbing.example.org",
    "Bloom Florist,bloom-florist.example.net,hello@bloom-florist.example.net",
]


def rows(*lines: str, head: str = HEAD, sep: str = ",", nl: str = "\n") -> str:
    """A CSV text from a header and rows written with commas (`sep` replaces them)."""
    return nl.join([head.replace(",", sep), *(line.replace(",", sep) for line in lines)]) + nl


def url_rows(urls: list[str]) -> str:
    """One good row, then one row per hostile website."""
    lines = [GOOD[0]] + [f"Shop {i},{u},a{i}@shop{i}.example.com" for i, u in enumerate(urls)]
    return rows(*lines)


def case(
    name: str,
    content: str | bytes,
    about: str,
    *,
    exit: int = 0,
    accepted: int | None = None,
    rejected: int = 0,
    enqueued: int | None = None,
    reasons: tuple[str, ...] = (),
    message: str | None = None,
    encoding: str | None = None,
) -> dict[str, Any]:
    """One corpus file and what ingesting it must do."""
    data = content.encode() if isinstance(content, str) else content
    (HERE / name).write_bytes(data)
    return {
        "file": name,
        "about": about,
        "exit": exit,
        "accepted": accepted,
        "rejected": rejected,
        "enqueued": accepted if enqueued is None else enqueued,
        "reasons": list(reasons),
        "message": message,
        "encoding": encoding,
    }


LOOPBACK = [
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://localhost:8080/",
    "http://shop.localhost/",
]
PRIVATE = [
    "http://10.0.0.1/",
    "http://167772161/",
    "http://012.0.0.1/",
    "http://0x0a000001/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:a00:1]/",
    "http://[fd00::1]/",
    "http://[fc00::abcd]/",
]
METADATA = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://100.100.100.200/",
    "http://metadata.google.internal/",
    "http://[2002:a9fe:a9fe::]/",
]


def build() -> list[dict[str, Any]]:
    """Write every file; return the manifest."""
    HERE.mkdir(parents=True, exist_ok=True)
    for old in HERE.iterdir():
        old.unlink()
    text3 = rows(*GOOD)
    cafe = "company,website,email,city\r\nCafé Müller €,cafe-mueller.example.com,info@cafe-mueller.example.com,Köln\r\n"
    rnd = random.Random(18)
    c = [
        case("utf8_plain.csv", text3, "the baseline: three good rows", accepted=3),
        case("utf8_bom.csv", b"\xef\xbb\xbf" + text3.encode(), "Excel's 'CSV UTF-8' (BOM)", accepted=3),
        case(
            "utf16le_bom_tabs.csv",
            b"\xff\xfe" + rows(*GOOD, sep="\t", nl="\r\n").encode("utf-16-le"),
            "Excel's 'Unicode text': UTF-16LE with a BOM, tab separated",
            accepted=3,
            encoding="utf-16",
        ),
        case(
            "utf16be_bom.csv",
            b"\xfe\xff" + text3.encode("utf-16-be"),
            "UTF-16BE with a BOM",
            accepted=3,
            encoding="utf-16",
        ),
        case(
            "utf16le_no_bom.csv", text3.encode("utf-16-le"), "UTF-16LE without a BOM", accepted=3, encoding="utf-16-le"
        ),
        case("utf32_bom.csv", text3.encode("utf-32"), "UTF-32 with a BOM", accepted=3, encoding="utf-32"),
        case("cp1252_export.csv", cafe.encode("cp1252"), "a Windows (cp1252) export", accepted=1, encoding="cp1252"),
        case(
            "undecodable.csv",
            HEAD.encode() + b"\nCaf\xe9 \x81,cafe.example.com,a@cafe.example.com\n",
            "neither UTF-8 nor cp1252",
            exit=1,
            message="not utf-8 text",
        ),
        case("semicolons.csv", rows(*GOOD, sep=";"), "semicolon separated (European Excel)", accepted=3),
        case("tabs.csv", rows(*GOOD, sep="\t"), "tab separated", accepted=3),
        case("pipes.csv", rows(*GOOD, sep="|"), "pipe separated", accepted=3),
        case("crlf.csv", rows(*GOOD, nl="\r\n"), "Windows line ends", accepted=3),
        case("cr_only.csv", rows(*GOOD, nl="\r"), "old Mac line ends (CR only)", accepted=3),
        case(
            "blank_lines.csv",
            HEAD + "\n\n" + GOOD[0] + "\n,,\n\n" + GOOD[1] + "\n",
            "blank lines between rows",
            accepted=2,
        ),
        case("header_only.csv", HEAD + "\n", "a header and nothing else", accepted=0),
        case(
            "ragged_short.csv",
            rows(GOOD[0], "Short Row Ltd,short.example.com", GOOD[1]),
            "a row with fewer cells than the header",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("email",),
        ),
        case(
            "ragged_long.csv",
            rows(GOOD[0], "Long Row,long.example.com,a@long.example.com,extra,more", GOOD[1]),
            "a row with more cells than the header",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("cells but the header has",),
        ),
        case(
            "embedded_newline.csv",
            rows(GOOD[0], '"Two\nLines Ltd",two.example.com,a@two.example.com', GOOD[1]),
            "a quoted field with a line break",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("line breaks",),
        ),
        case(
            "crlf_injection.csv",
            rows(GOOD[0], '"Shop\r\nBcc: victim@example.com",shop.example.com,a@shop.example.com'),
            "a header injection attempt through CR/LF in a field",
            exit=3,
            accepted=1,
            rejected=1,
            reasons=("line breaks",),
        ),
        case(
            "quoted_delimiters.csv",
            rows('"Smith, Jones & Co",smith-jones.example.com,"office@smith-jones.example.com"', GOOD[1]),
            "quoted fields holding the delimiter",
            accepted=2,
        ),
        case(
            "huge_field.csv",
            rows(GOOD[0], f"Huge,huge.example.com,a@huge.example.com,{'x' * 140_000}", GOOD[1], head=HEAD + ",notes"),
            "one field beyond the csv module's limit (131072)",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("field limit",),
        ),
        case(
            "huge_line.csv",
            rows(GOOD[0], "Endless,endless.example.com,a@endless.example.com," + "y" * 1_100_000, GOOD[1]),
            "one physical line over a million characters",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("line is longer",),
        ),
        case(
            "nul_byte.csv",
            rows(GOOD[0], "Nul\0Shop,nul.example.com,a@nul.example.com", GOOD[1]),
            "a stray NUL byte in one row",
            exit=3,
            accepted=2,
            rejected=1,
            reasons=("NUL byte",),
        ),
        case(
            "nul_in_header.csv",
            "comp\0any,website,email\n" + GOOD[0] + "\n",
            "a NUL byte in the header",
            exit=1,
            message="binary",
        ),
        case(
            "duplicate_email_column.csv",
            rows("Shop,shop.example.com,a@shop.example.com,b@shop.example.com", head=HEAD + ",E-mail"),
            "two email columns",
            exit=1,
            message="'email' twice",
        ),
        case(
            "duplicate_optional_same.csv",
            rows("Shop,shop.example.com,a@shop.example.com,Ulm,Ulm", head=HEAD + ",city,City"),
            "two identical optional columns",
            accepted=1,
        ),
        case(
            "duplicate_optional_differ.csv",
            rows("Shop,shop.example.com,a@shop.example.com,Ulm,Bonn", head=HEAD + ",city,City"),
            "two optional columns of one name that differ",
            exit=1,
            message="differ on row 2",
        ),
        case(
            "aliases_and_extra_columns.csv",
            rows(
                "Shop,shop.example.com,a@shop.example.com,x,y",
                head="Business Name, Website URL ,E-Mail,Internal Id,Internal Id",
            ),
            "header aliases, padding, unknown columns (duplicated unknowns are ignored)",
            accepted=1,
        ),
        case(
            "formula_injection.csv",
            rows(
                '=HYPERLINK("http://evil.example/"),formula.example.com,a@formula.example.com',
                "+cmd|' /C calc'!A0,plus.example.com,@SUM(1+1)",
            ),
            "spreadsheet formulas in fields (the bad email's row goes to the rejects file, neutralised)",
            exit=3,
            accepted=1,
            rejected=1,
            reasons=("invalid email",),
        ),
        case(
            "html_injection.csv",
            rows(
                '"<script>alert(1)</script>",xss.example.com,a@xss.example.com',
                '"<img src=x onerror=alert(1)>",img.example.com,"<b>@img.example.com"',
            ),
            "markup in fields: kept as text for the escaping templates; a markup email is invalid",
            exit=3,
            accepted=1,
            rejected=1,
            reasons=("invalid email",),
        ),
        case(
            "loopback_urls.csv",
            url_rows(LOOPBACK),
            "loopback in every numeric form",
            exit=3,
            accepted=1,
            rejected=len(LOOPBACK),
            reasons=("loopback",),
        ),
        case(
            "private_urls.csv",
            url_rows(PRIVATE),
            "private addresses in decimal, octal, hex and IPv6-mapped forms",
            exit=3,
            accepted=1,
            rejected=len(PRIVATE),
            reasons=("private address",),
        ),
        case(
            "metadata_urls.csv",
            url_rows(METADATA),
            "cloud metadata, link-local, unspecified and internal names",
            exit=3,
            accepted=1,
            rejected=len(METADATA),
            reasons=("link-local", "unspecified", "private-use domain"),
        ),
        case(
            "bad_schemes.csv",
            url_rows(
                [
                    "javascript:alert(1)",
                    "data:text/html,<script>",
                    "file:///etc/passwd",
                    "ftp://shop.example.com/",
                    "gopher://shop.example.com/",
                    "http://user:pw@shop.example.com/",
                    "http://shop.example.com:99999/",
                ]
            ),
            "other schemes, credentials, a bad port",
            exit=3,
            accepted=1,
            rejected=7,
            reasons=("not http(s)", "credentials", "port"),
        ),
        case(
            "idn_domains.csv",
            rows(
                "Bäckerei Müller,bäckerei-müller.example.de,info@bäckerei-müller.example.de",
                "Punycode,xn--bckerei-mller-bfb28a.example.de,info@xn--bckerei-mller-bfb28a.example.de",
                "Café Zürich,https://café-zürich.example.ch/menu,kontakt@café-zürich.example.ch",
                "Unicode local part,shop.example.com,bäcker@shop.example.com",
            ),
            "international domains, stored as punycode (both spellings: one lead); a non-ASCII local part is refused",
            exit=3,
            accepted=3,
            enqueued=2,
            rejected=1,
            reasons=("Internationalized",),
        ),
        case(
            "duplicates_spellings.csv",
            rows(
                "Shop,shop.example.com,owner@shop.example.com",
                "Shop Ltd,https://shop.example.com/,Owner@Shop.example.com",
                "SHOP,HTTP://WWW.SHOP.EXAMPLE.COM,OWNER@SHOP.EXAMPLE.COM",
                "Shop,  www.shop.example.com/about ,  owner@shop.example.com  ",
                "Shop,shop.example.com.,owner@shop.example.com",
                "Shop,https://shop.example.com:443/,owner@shop.example.com",
            ),
            "one prospect in six spellings",
            accepted=6,
            enqueued=1,
        ),
        case(
            "unicode_oddities.csv",
            rows(
                "\u202eyrekab\u202c Shop,odd.example.com,a@odd.example.com",
                "Zero\u200bWidth \U0001f370,zw.example.com,a@zw.example.com",
            ),
            "bidi overrides, zero-width characters, emoji in names (cleaned when the name is taken)",
            accepted=2,
        ),
        case(
            "broken_quoting.csv",
            HEAD + '\n"Shop,shop.example.com,a@shop.example.com\n' + GOOD[1] + "\n",
            "an unterminated quote",
            exit=1,
            message="not a readable CSV",
        ),
        case(
            "pathological_header.csv",
            'a;b,"c' * 150_000 + "\n" + GOOD[0] + "\n",
            "a 900 KB header line that makes csv.Sniffer's regexes crawl",
            exit=1,
            message="missing required",
        ),
        case("empty.csv", b"", "an empty file", exit=1, message="empty"),
        case("whitespace_only.csv", "  \n\t\n \r\n", "only whitespace", exit=1, message="empty"),
        case(
            "no_header.csv",
            rows(*GOOD[1:], head=GOOD[0]),
            "data without a header row",
            exit=1,
            message="missing required",
        ),
        case(
            "not_csv_png.csv",
            b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(300)),
            "a PNG",
            exit=1,
            message="PNG",
        ),
        case(
            "not_csv_pdf.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF", exit=1, message="PDF"
        ),
        case(
            "not_csv_xlsx.csv",
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(200),
            "an .xlsx renamed to .csv",
            exit=1,
            message="ZIP",
        ),
        case("not_csv_gzip.csv", gzip.compress(text3.encode(), mtime=0), "a gzipped CSV", exit=1, message="gzip"),
        case(
            "not_csv_json.csv",
            '[{"company": "Shop", "website": "shop.example.com"}]\n',
            "JSON",
            exit=1,
            message="not a readable CSV",
        ),
        case(
            "not_csv_html.csv",
            "<!doctype html><html><body><table><tr><td>x</td></tr></table></body></html>\n",
            "HTML",
            exit=1,
            message="missing required",
        ),
        case(
            "random_bytes.csv", bytes(rnd.randrange(256) for _ in range(4096)), "random bytes", exit=1, message="binary"
        ),
    ]
    (HERE / "manifest.json").write_text(json.dumps(c, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return c


if __name__ == "__main__":
    print(f"{len(build())} files written to {HERE}")
