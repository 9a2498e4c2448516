"""Website normalisation and lead keys."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.models import lead_key_for, normalise_website
from pipeline.netguard import host_block_reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "https://example.com/"),
        ("  https://www.Example.com/about#team ", "https://www.example.com/about"),
        ("http://example.com:80/", "http://example.com/"),
        ("example.com:8443/x?y=1", "https://example.com:8443/x?y=1"),
        ("https://bücher.de", "https://xn--bcher-kva.de/"),
    ],
)
def test_websites_are_normalised_to_http_urls(raw: str, expected: str) -> None:
    assert normalise_website(raw) == expected


@pytest.mark.parametrize(
    "raw", ["mailto:a@b.c", "file:///etc/passwd", "http://localhost/", "http://127.1/", "http://[::1]/"]
)
def test_refused_websites_raise(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_website(raw)


def test_loopback_is_accepted_only_when_allowed() -> None:
    assert normalise_website("http://127.0.0.1:8701/", allow_loopback=True) == "http://127.0.0.1:8701/"
    assert host_block_reason("localhost", allow_loopback=True) is None
    assert host_block_reason("10.0.0.1", allow_loopback=True) == "private address"


def test_the_same_prospect_has_one_key_whatever_the_spelling() -> None:
    a = lead_key_for("https://www.shop.example.com/", "Owner@Shop.example.com")
    b = lead_key_for("https://shop.example.com/contact", "owner@shop.example.com ")
    assert a == b and len(a) == 16
    assert a != lead_key_for("https://shop.example.com/", "other@shop.example.com")


_EMAILISH = st.text(alphabet="abcXYZ019._-+!#'`~@", min_size=1, max_size=30) | st.from_regex(
    r"[A-Za-z0-9._%+-]{1,70}@([A-Za-z0-9-]{0,64}\.){1,4}[A-Za-z0-9-]{0,64}", fullmatch=True
)


@given(_EMAILISH)
@settings(max_examples=400, deadline=None)
def test_the_fast_email_check_agrees_with_email_validator_whenever_it_answers(value: str) -> None:
    from email_validator import EmailNotValidError, validate_email

    from pipeline.models import plain_ascii_email

    fast = plain_ascii_email(value)
    if fast is None:
        return  # left to the full check
    try:
        info = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise AssertionError(f"fast path accepted {value!r}, email_validator refuses: {exc}") from None
    assert fast == (info.ascii_email or info.normalized)
