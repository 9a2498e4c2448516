"""Is this text? One place that looks at the first bytes of what came in (a CSV file, a fetched page):
byte-order marks, BOM-less UTF-16, magic numbers of binary formats, control bytes. Pure functions."""

from __future__ import annotations

BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "an executable"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf", "a 7-zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3", "an SQLite database"),
    (b"RIFF", "a RIFF media file (WebP, WAV, AVI)"),
    (b"\x00\x00\x00\x0cjP", "a JPEG 2000 image"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
    (b"\x00asm", "a WebAssembly module"),
    (b"OggS", "an Ogg media file"),
    (b"ID3", "an MP3 file"),
)
_CONTROL = frozenset(range(0, 9)) | (frozenset(range(14, 32)) - {27})


def bom_encoding(head: bytes) -> str | None:
    """The encoding a byte-order mark announces, or BOM-less UTF-16 recognised by its NUL pattern."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    sample = head[: len(head) - len(head) % 2]
    if len(sample) >= 8:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        if odd > 0.6 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.6 * half and odd < 0.05 * half:
            return "utf-16-be"
    return None


def magic_kind(head: bytes) -> str | None:
    """What binary format the first bytes announce ('a PNG image'), or None."""
    if head[4:12] in (b"ftypavif", b"ftypheic", b"ftypmp42", b"ftypisom"):
        return "an ISO media file (AVIF, HEIC, MP4)"
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    return None


def control_bytes(head: bytes) -> int:
    """How many bytes are control characters no text file holds (NUL, bell, backspace…; not tab, CR, LF, ESC)."""
    return sum(1 for b in head if b in _CONTROL)


def binary_page(body: bytes) -> str | None:
    """Why a body declared as a text page is really binary, or None: a magic number, or a NUL byte
    in its first KiB when no byte-order mark makes it UTF-16/32 text."""
    head = body[:1024]
    kind = magic_kind(head)
    if kind:
        return kind
    if bom_encoding(head) is not None:
        return None
    if b"\0" in head:
        return "binary data (NUL bytes)"
    if control_bytes(head) > len(head) // 10:
        return "binary data (control bytes)"
    return None
