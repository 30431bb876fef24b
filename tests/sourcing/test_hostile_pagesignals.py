"""Page signals over hostile page text: a title of many parts was read quadratically (the
index of every part looked up again in the key: 40,000 distinct parts cost 7.7 s, a 5 MiB
title hours). The test asserts which part is taken on such a title, ties to the first."""

from __future__ import annotations

from icpkit.sourcing.pagesignals import page_signals
from icpkit.technographics.page import Page


def _company(title_parts: list[str]) -> tuple[str | None, str | None]:
    html = f"<html><head><title>{' | '.join(title_parts)}</title></head><body></body></html>"
    page = Page(url="https://acme.example/", html=html)
    out = page_signals(page, "acme.example", {"company"})
    return out["company_name"], out["company_name_source"]


def test_the_part_like_the_domain_is_found_among_many() -> None:
    parts = [f"w{i}" for i in range(200_000)]
    parts[150_000], parts[190_000] = "Acme Inc", "Acme"
    assert _company(parts) == ("Acme Inc", "title")


def test_without_a_part_like_the_domain_the_first_is_taken() -> None:
    assert _company([f"w{i}" for i in range(200_000)]) == ("w0", "title")


def test_nested_anchors_in_svg_are_read_and_ordinary_labels_still_count() -> None:
    # inside SVG anchors nest (HTML closes an open <a>): 1,990 deep over 1 MB of text, each
    # outer one's text would be a copy of all of it; the innermost's text is still a label
    depth = 1_990
    html = (
        '<html><body><a href="/x">Sign in</a><svg>'
        + '<a href="/y">' * depth
        + "Pricing</a>"
        + "<text>"
        + "y" * 1_000_000
        + "</text></svg></body></html>"
    )
    page = Page(url="https://acme.example/", html=html)
    out = page_signals(page, "acme.example", {"pages"})
    assert (out["has_login_page"], out["has_pricing_page"], out["has_careers_page"]) == (
        True,
        True,
        False,
    )
