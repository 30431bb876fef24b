"""SSRF guard: address rules over many forms, URL checks, domain normalisation."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from icpkit.errors import InputError, NetworkRefused
from icpkit.technographics.netguard import (
    Resolver,
    address_rule,
    check_url,
    is_refused,
    normalize_domain,
    target_url,
)

REFUSED_NETS = {
    "10.0.0.0/8": "private",
    "172.16.0.0/12": "private",
    "192.168.0.0/16": "private",
    "127.0.0.0/8": "loopback",
    "169.254.0.0/16": "link-local",
    "100.64.0.0/10": "cgnat",
    "224.0.0.0/4": "multicast",
    "240.0.0.0/5": "reserved",
    "0.0.0.0/8": "reserved",
    "fc00::/7": "private",
    "fe80::/10": "link-local",
    "ff00::/8": "multicast",
    "2001:db8::/32": "reserved",
}


def _in(net: str) -> st.SearchStrategy[str]:
    n = ipaddress.ip_network(net)
    first = int(n.network_address)
    return st.integers(first, first + n.num_addresses - 1).map(
        lambda v: str(ipaddress.ip_address(v))
    )


@given(st.sampled_from(sorted(REFUSED_NETS)).flatmap(lambda net: st.tuples(st.just(net), _in(net))))
def test_every_address_in_refused_ranges_is_refused(case: tuple[str, str]) -> None:
    net, address = case
    rule = address_rule(address)
    assert rule is not None
    assert is_refused(rule, allow_private=False)
    if rule not in {"metadata", "unspecified"}:  # the odd special address inside a range
        assert rule == REFUSED_NETS[net] or REFUSED_NETS[net] == "reserved"


@given(
    st.sampled_from(["10.0.0.0/8", "127.0.0.0/8", "192.168.0.0/16", "169.254.0.0/16"]).flatmap(_in)
)
def test_ipv6_forms_embedding_private_ipv4_are_refused(v4: str) -> None:
    value = int(ipaddress.IPv4Address(v4))
    forms = [
        f"::ffff:{v4}",  # IPv4-mapped
        str(ipaddress.IPv6Address(value)),  # IPv4-compatible ::a.b.c.d
        str(ipaddress.IPv6Address((0x64FF9B << 96) | value)),  # NAT64
        str(ipaddress.IPv6Address((0x2002 << 112) | (value << 80))),  # 6to4
    ]
    expected = address_rule(v4)
    for form in forms:
        assert address_rule(form) == expected, form


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"),  # Teredo
        ("fe80::1%eth0", "link-local"),
        ("198.18.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
    ],
)
def test_special_addresses(address: str, rule: str) -> None:
    assert address_rule(address) == rule


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert address_rule(address) is None


def test_allow_private_lifts_only_private_rules() -> None:
    for rule in ("private", "loopback", "cgnat"):
        assert not is_refused(rule, allow_private=True)
    for rule in ("metadata", "link-local", "multicast", "reserved", "unspecified"):
        assert is_refused(rule, allow_private=True)


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://127.0.0.1/", "scheme"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://127.0.0.1:8080/", "loopback"),
        ("http://localhost/", "loopback"),
        ("http://anything.localhost/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://10.0.0.5/", "private"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://no-such-name.invalid/", "resolve"),
    ],
)
def test_check_url_refuses(url: str, rule: str) -> None:
    with pytest.raises(NetworkRefused) as info:
        check_url(url)
    assert info.value.rule == rule
    assert info.value.url == url


def test_check_url_allow_private_and_metadata_always() -> None:
    assert check_url("http://127.0.0.1:9/", allow_private=True) == ["127.0.0.1"]
    assert check_url("http://site.localhost/", allow_private=True) == ["127.0.0.1"]
    with pytest.raises(NetworkRefused):
        check_url("http://169.254.169.254/", allow_private=True)
    with pytest.raises(NetworkRefused):
        check_url("http://metadata.google.internal/", allow_private=True)


def test_resolver_refuses_any_bad_address_and_caches_verdict() -> None:
    calls: list[str] = []

    class Counting(Resolver):
        async def _lookup(self, host: str, port: int) -> list[str]:
            calls.append(host)
            return await super()._lookup(host, port)

    resolver = Counting(overrides={"mixed.test": ["8.8.8.8", "10.0.0.1"], "ok.test": "8.8.4.4"})

    async def go() -> None:
        assert await resolver.check("https://ok.test/a") == ["8.8.4.4"]
        assert await resolver.check("http://ok.test/b") == ["8.8.4.4"]
        for _ in range(2):
            with pytest.raises(NetworkRefused) as info:
                await resolver.check("https://mixed.test/")
            assert info.value.rule == "private"

    asyncio.run(go())
    assert calls == ["ok.test", "mixed.test"]  # one resolution per host, pinned for the job


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("https://www.example.com/path?q=1#x", "example.com"),
        ("http://www.example.com:443/", "example.com:443"),
        ("https://example.com:443/", "example.com"),
        ("example.com.", "example.com"),
        ("  www.Bücher.de ", "xn--bcher-kva.de"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://[2001:db8::1]:8080/", "[2001:db8::1]:8080"),
        ("sub.www.example.com", "sub.www.example.com"),
    ],
)
def test_normalize_domain(raw: str, expected: str) -> None:
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "not a domain", "http://", "a..b", "x" * 64 + ".com"])
def test_normalize_domain_rejects(raw: str) -> None:
    with pytest.raises(InputError):
        normalize_domain(raw)


@given(st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,12}){1,3}", fullmatch=True))
def test_normalize_domain_idempotent_over_spellings(domain: str) -> None:
    key = normalize_domain(domain)
    for spelling in (domain.upper(), f"https://www.{domain}/x", f"http://{domain}./?a=1"):
        assert normalize_domain(spelling) == key
    assert normalize_domain(key) == key


def test_target_url() -> None:
    assert target_url("acme.com") == "https://acme.com/"
    assert target_url("http://acme.com:8080/about?x=1") == "http://acme.com:8080/about?x=1"
    with pytest.raises(NetworkRefused):
        target_url("javascript://alert(1)")
