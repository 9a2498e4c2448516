"""Address decisions: every resolved address is checked; nothing here sends traffic."""

from __future__ import annotations

import socket

import pytest

from pipeline import netguard
from pipeline.errors import BlockedAddress, PermanentError, TransientError


def resolver_for(*addresses: str) -> netguard.Resolver:
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "224.0.0.1",
        "0.0.0.0",
        "240.0.0.1",
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "2002:a00:1::",
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(BlockedAddress):
        netguard.resolve_checked("shop.example.com", 443, allow_loopback=False, resolver=resolver_for(address))


def test_one_private_record_among_public_ones_refuses_the_whole_name() -> None:
    with pytest.raises(BlockedAddress, match=r"10\.1\.2\.3"):
        netguard.resolve_checked(
            "shop.example.com", 443, allow_loopback=False, resolver=resolver_for("93.184.215.14", "10.1.2.3")
        )


def test_public_addresses_are_returned_for_pinning() -> None:
    ips = netguard.resolve_checked(
        "shop.example.com", 443, allow_loopback=False, resolver=resolver_for("93.184.215.14", "2606:2800:21f::1")
    )
    assert [str(ip) for ip in ips] == ["93.184.215.14", "2606:2800:21f::1"]


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "[::ffff:7f00:1]", "localhost"])
def test_numeric_and_mapped_forms_of_loopback_are_refused_by_default(host: str) -> None:
    with pytest.raises(BlockedAddress):
        netguard.resolve_checked(host, 80, allow_loopback=False, resolver=resolver_for("127.0.0.1"))


def test_allow_loopback_admits_loopback_and_nothing_else_private() -> None:
    assert netguard.resolve_checked("127.0.0.1", 80, allow_loopback=True)
    assert netguard.resolve_checked("localhost", 80, allow_loopback=True, resolver=resolver_for("127.0.0.1"))
    with pytest.raises(BlockedAddress):
        netguard.resolve_checked("shop.example.com", 80, allow_loopback=True, resolver=resolver_for("192.168.0.10"))


def test_an_unknown_name_is_permanent_and_a_resolver_hiccup_transient() -> None:
    def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def again(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    with pytest.raises(PermanentError, match="DNS"):
        netguard.resolve_checked("nowhere.example.com", 80, allow_loopback=False, resolver=nxdomain)
    with pytest.raises(TransientError, match="DNS"):
        netguard.resolve_checked("nowhere.example.com", 80, allow_loopback=False, resolver=again)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "http://10.0.0.1/"]
)
def test_check_url_refuses_other_schemes_and_private_literals(url: str) -> None:
    with pytest.raises(BlockedAddress):
        netguard.check_url(url, allow_loopback=True)
