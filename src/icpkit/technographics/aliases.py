"""Names that differ between fingerprint databases for one product, and the GTM categories.

Databases name the same product differently ("Google Font API" in the Wappalyzer lineage,
"Google Fonts" in ours; a vendor renames a product). Comparing two databases' findings, or
a stack history recorded under an older set, needs one name per product: ``canonical_name``
maps a known alias to the bundled set's name and leaves every other name unchanged.

Each entry is a fact about naming (both names refer to one product), not data copied from
another database. ``GTM_CATEGORIES`` groups the Wappalyzer-numbered category ids that matter
for an ideal customer profile (go-to-market tools), as the detection benchmark reports them.
"""

from __future__ import annotations

__all__ = ["ALIASES", "GTM_CATEGORIES", "canonical_name"]

ALIASES: dict[str, str] = {
    # another database's name → the bundled set's name (one product under two names)
    "Adobe Experience Platform Launch": "Adobe Launch",
    "Amazon Advertising": "Amazon Ads",
    "Baidu Analytics (百度统计)": "Baidu Analytics",
    "Bazaarvoice Reviews": "Bazaarvoice",
    "Bunny": "Bunny CDN",
    "Cart Functionality": "Shopping cart",
    "Commanders Act TagCommander": "Commanders Act",
    "Constructor.io": "Constructor",
    "ConvertKit": "Kit",
    "Crisp Live Chat": "Crisp",
    "DM Polopoly": "Polopoly",
    "Facebook Pixel": "Meta Pixel",
    "Google Font API": "Google Fonts",
    "Kentico CMS": "Kentico",
    "Klarna Checkout": "Klarna",
    "MailChimp": "Mailchimp",
    "Matomo Analytics": "Matomo",
    "Mouse Flow": "Mouseflow",
    "Oracle Moat Measurement": "Moat",
    "Pinterest Conversion Tag": "Pinterest Tag",
    "Piwik PRO Core": "Piwik PRO",
    "RankMath SEO": "Rank Math",
    "Salesforce Marketing Cloud Account Engagement": "Pardot",
    "Snowplow Analytics": "Snowplow",
    "Tealium": "Tealium iQ",
    "theTradeDesk": "The Trade Desk",
    "Transifex": "Transifex Live",
    "TYPO3 CMS": "TYPO3",
    "Unpkg": "unpkg",
    "WhatsApp Business Chat": "WhatsApp Chat",
    "Yandex.Metrika": "Yandex Metrica",
    "Yotpo Loyalty & Referrals": "Yotpo Loyalty",
    "Yotpo Reviews": "Yotpo",
}
"""Alias → canonical (bundled) name."""

GTM_CATEGORIES: dict[str, frozenset[int]] = {
    "CMS": frozenset({1}),
    "Ecommerce (platforms, plans, frontends)": frozenset({6, 108}),
    "Tag managers": frozenset({42}),
    "Analytics": frozenset({10}),
    "Marketing automation": frozenset({32}),
    "CRM": frozenset({53}),
    "Live chat and helpdesk": frozenset({52, 13}),
    "Payments (incl. BNPL)": frozenset({41, 91}),
    "A/B testing": frozenset({74}),
    "Customer data platform": frozenset({97}),
    "Consent / CMP": frozenset({67}),
    "Reviews": frozenset({90}),
    "ATS / job boards": frozenset({101}),
    "Hosting / CDN / PaaS": frozenset({88, 31, 62}),
    "Frameworks (JS, web)": frozenset({12, 18}),
}
"""Report label → category ids (Wappalyzer numbering, shared by the bundled set)."""

_FOLDED = {k.casefold(): v for k, v in ALIASES.items()}


def canonical_name(name: str) -> str:
    """The bundled set's name for ``name`` when it is a known alias, else ``name`` itself."""
    return _FOLDED.get(name.casefold(), name)
