"""Which outreach rules apply to a contact, by the contact's country. Guidance, not legal advice.

Contacting people is where regulation starts to apply, and which rules apply follows the
*recipient's* country. This module turns messy country values ("Deutschland", "U.S.A.", "GBR",
"uk ") into ISO 3166-1 alpha-2 codes and maps each code to a regime:

* **GDPR** — EU/EEA member states (with national ePrivacy rules) and the UK (UK GDPR + PECR):
  cold B2B email can rest on *legitimate interest* with a documented balancing test; the first
  message must say who you are, why you write and where the data came from; opting out must be
  easy and honoured. Some states (Germany among them) require prior consent for advertising
  email even between businesses; those rows say so.
* **CAN-SPAM** — the United States (and its territories): no prior consent, but honest sender and
  subject lines, a valid postal address, and a working unsubscribe honoured within 10 business
  days.
* **CASL** — Canada: consent is required. Implied consent is limited (an existing business
  relationship within two years of a purchase or six months of an inquiry; a conspicuously
  published business address without a "no unsolicited email" note, for messages relevant to
  the role); otherwise express consent is needed. Keep records.
* **other** — every other known country: icpkit does not encode the local law. The documented
  default is the strictest common denominator: identify yourself, offer a working opt-out,
  honour it, and check whether the country requires prior consent.
* **unknown** — the country is missing or not recognised: flagged, because no regime can be
  chosen; resolve it before contacting the person.

This is a summary to help a team route work to the right checks. It is **not legal advice**; the
texts in :data:`REGIMES` say so, and every export carries it. Ask counsel for your case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import polars as pl

DISCLAIMER = (
    "Guidance only, not legal advice: icpkit summarises common rules by the contact's country; "
    "check with counsel before contacting people."
)


@dataclass(frozen=True)
class Regime:
    """One outreach regime: what it is, what it permits and what it requires."""

    code: str
    law: str
    basis: str
    obligations: str
    consent_required: bool | None


REGIMES: Mapping[str, Regime] = MappingProxyType(
    {
        "GDPR": Regime(
            "GDPR",
            "GDPR + national ePrivacy rules (UK: UK GDPR + PECR)",
            "legitimate interest (Art. 6(1)(f)) with a documented balancing test; message "
            "relevant to the person's role",
            "say who you are, why you write and where the data came from (Art. 14) in the "
            "first message; easy opt-out honoured at once; keep data minimal",
            False,
        ),
        "CAN-SPAM": Regime(
            "CAN-SPAM",
            "CAN-SPAM Act (US)",
            "no prior consent needed for commercial email (opt-out regime)",
            "honest sender and subject line; identify the message as an ad; valid postal "
            "address; working unsubscribe honoured within 10 business days",
            False,
        ),
        "CASL": Regime(
            "CASL",
            "Canada's Anti-Spam Legislation",
            "consent required: express, or implied (business relationship within 2 years of a "
            "purchase / 6 months of an inquiry; conspicuously published address without a "
            "no-email note, message relevant to the role)",
            "identify sender with contact details; unsubscribe honoured within 10 business "
            "days; keep records of consent",
            True,
        ),
        "other": Regime(
            "other",
            "local law not encoded in icpkit",
            "unknown: check whether prior consent is required for commercial email",
            "identify yourself honestly; working opt-out honoured promptly; check local rules",
            None,
        ),
        "unknown": Regime(
            "unknown",
            "country missing or not recognised",
            "cannot be determined: resolve the contact's country first",
            "do not contact until the country (and so the applicable rules) is known",
            None,
        ),
    }
)
"""Every regime by code; ``unknown`` is the flag for rows whose country is not known."""

# ISO 3166-1: alpha-2, alpha-3, English short name (written for icpkit).
_ISO = """
AD AND Andorra|AE ARE United Arab Emirates|AF AFG Afghanistan|AG ATG Antigua and Barbuda
AI AIA Anguilla|AL ALB Albania|AM ARM Armenia|AO AGO Angola|AQ ATA Antarctica|AR ARG Argentina
AS ASM American Samoa|AT AUT Austria|AU AUS Australia|AW ABW Aruba|AX ALA Aland Islands
AZ AZE Azerbaijan|BA BIH Bosnia and Herzegovina|BB BRB Barbados|BD BGD Bangladesh|BE BEL Belgium
BF BFA Burkina Faso|BG BGR Bulgaria|BH BHR Bahrain|BI BDI Burundi|BJ BEN Benin
BL BLM Saint Barthelemy|BM BMU Bermuda|BN BRN Brunei|BO BOL Bolivia|BQ BES Bonaire
BR BRA Brazil|BS BHS Bahamas|BT BTN Bhutan|BV BVT Bouvet Island|BW BWA Botswana|BY BLR Belarus
BZ BLZ Belize|CA CAN Canada|CC CCK Cocos Islands|CD COD Democratic Republic of the Congo
CF CAF Central African Republic|CG COG Republic of the Congo|CH CHE Switzerland
CI CIV Cote d'Ivoire|CK COK Cook Islands|CL CHL Chile|CM CMR Cameroon|CN CHN China
CO COL Colombia|CR CRI Costa Rica|CU CUB Cuba|CV CPV Cabo Verde|CW CUW Curacao
CX CXR Christmas Island|CY CYP Cyprus|CZ CZE Czechia|DE DEU Germany|DJ DJI Djibouti
DK DNK Denmark|DM DMA Dominica|DO DOM Dominican Republic|DZ DZA Algeria|EC ECU Ecuador
EE EST Estonia|EG EGY Egypt|EH ESH Western Sahara|ER ERI Eritrea|ES ESP Spain|ET ETH Ethiopia
FI FIN Finland|FJ FJI Fiji|FK FLK Falkland Islands|FM FSM Micronesia|FO FRO Faroe Islands
FR FRA France|GA GAB Gabon|GB GBR United Kingdom|GD GRD Grenada|GE GEO Georgia
GF GUF French Guiana|GG GGY Guernsey|GH GHA Ghana|GI GIB Gibraltar|GL GRL Greenland
GM GMB Gambia|GN GIN Guinea|GP GLP Guadeloupe|GQ GNQ Equatorial Guinea|GR GRC Greece
GS SGS South Georgia and the South Sandwich Islands|GT GTM Guatemala|GU GUM Guam
GW GNB Guinea-Bissau|GY GUY Guyana|HK HKG Hong Kong|HM HMD Heard Island and McDonald Islands
HN HND Honduras|HR HRV Croatia|HT HTI Haiti|HU HUN Hungary|ID IDN Indonesia|IE IRL Ireland
IL ISR Israel|IM IMN Isle of Man|IN IND India|IO IOT British Indian Ocean Territory|IQ IRQ Iraq
IR IRN Iran|IS ISL Iceland|IT ITA Italy|JE JEY Jersey|JM JAM Jamaica|JO JOR Jordan|JP JPN Japan
KE KEN Kenya|KG KGZ Kyrgyzstan|KH KHM Cambodia|KI KIR Kiribati|KM COM Comoros
KN KNA Saint Kitts and Nevis|KP PRK North Korea|KR KOR South Korea|KW KWT Kuwait
KY CYM Cayman Islands|KZ KAZ Kazakhstan|LA LAO Laos|LB LBN Lebanon|LC LCA Saint Lucia
LI LIE Liechtenstein|LK LKA Sri Lanka|LR LBR Liberia|LS LSO Lesotho|LT LTU Lithuania
LU LUX Luxembourg|LV LVA Latvia|LY LBY Libya|MA MAR Morocco|MC MCO Monaco|MD MDA Moldova
ME MNE Montenegro|MF MAF Saint Martin|MG MDG Madagascar|MH MHL Marshall Islands
MK MKD North Macedonia|ML MLI Mali|MM MMR Myanmar|MN MNG Mongolia|MO MAC Macao
MP MNP Northern Mariana Islands|MQ MTQ Martinique|MR MRT Mauritania|MS MSR Montserrat
MT MLT Malta|MU MUS Mauritius|MV MDV Maldives|MW MWI Malawi|MX MEX Mexico|MY MYS Malaysia
MZ MOZ Mozambique|NA NAM Namibia|NC NCL New Caledonia|NE NER Niger|NF NFK Norfolk Island
NG NGA Nigeria|NI NIC Nicaragua|NL NLD Netherlands|NO NOR Norway|NP NPL Nepal|NR NRU Nauru
NU NIU Niue|NZ NZL New Zealand|OM OMN Oman|PA PAN Panama|PE PER Peru|PF PYF French Polynesia
PG PNG Papua New Guinea|PH PHL Philippines|PK PAK Pakistan|PL POL Poland
PM SPM Saint Pierre and Miquelon|PN PCN Pitcairn|PR PRI Puerto Rico|PS PSE Palestine
PT PRT Portugal|PW PLW Palau|PY PRY Paraguay|QA QAT Qatar|RE REU Reunion|RO ROU Romania
RS SRB Serbia|RU RUS Russia|RW RWA Rwanda|SA SAU Saudi Arabia|SB SLB Solomon Islands
SC SYC Seychelles|SD SDN Sudan|SE SWE Sweden|SG SGP Singapore|SH SHN Saint Helena
SI SVN Slovenia|SJ SJM Svalbard and Jan Mayen|SK SVK Slovakia|SL SLE Sierra Leone
SM SMR San Marino|SN SEN Senegal|SO SOM Somalia|SR SUR Suriname|SS SSD South Sudan
ST STP Sao Tome and Principe|SV SLV El Salvador|SX SXM Sint Maarten|SY SYR Syria
SZ SWZ Eswatini|TC TCA Turks and Caicos Islands|TD TCD Chad
TF ATF French Southern Territories|TG TGO Togo|TH THA Thailand|TJ TJK Tajikistan|TK TKL Tokelau
TL TLS Timor-Leste|TM TKM Turkmenistan|TN TUN Tunisia|TO TON Tonga|TR TUR Turkey
TT TTO Trinidad and Tobago|TV TUV Tuvalu|TW TWN Taiwan|TZ TZA Tanzania|UA UKR Ukraine
UG UGA Uganda|UM UMI United States Minor Outlying Islands|US USA United States|UY URY Uruguay
UZ UZB Uzbekistan|VA VAT Vatican City|VC VCT Saint Vincent and the Grenadines|VE VEN Venezuela
VG VGB British Virgin Islands|VI VIR US Virgin Islands|VN VNM Vietnam|VU VUT Vanuatu
WF WLF Wallis and Futuna|WS WSM Samoa|XK XKX Kosovo|YE YEM Yemen|YT MYT Mayotte
ZA ZAF South Africa|ZM ZMB Zambia|ZW ZWE Zimbabwe
"""

COUNTRY_NAMES: Mapping[str, str] = MappingProxyType(
    {
        e.split(" ", 2)[0]: e.split(" ", 2)[2]
        for e in (x.strip() for x in _ISO.replace("\n", "|").split("|"))
        if e
    }
)
"""ISO alpha-2 code → English short name, for every code :func:`normalize_country` returns."""

_ISO3: dict[str, str] = {
    e.split(" ", 2)[1]: e.split(" ", 2)[0]
    for e in (x.strip() for x in _ISO.replace("\n", "|").split("|"))
    if e
}

# Common spellings, native names and abbreviations (cleaned: lower-case ASCII words).
COUNTRY_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "usa": "US", "u s a": "US", "u s": "US", "united states of america": "US",
        "america": "US", "the united states": "US", "estados unidos": "US",
        "etats unis": "US", "vereinigte staaten": "US",
        "uk": "GB", "u k": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
        "scotland": "GB", "wales": "GB", "northern ireland": "GB", "the united kingdom": "GB",
        "united kingdom of great britain and northern ireland": "GB", "reino unido": "GB",
        "royaume uni": "GB", "vereinigtes konigreich": "GB", "grossbritannien": "GB",
        "deutschland": "DE", "allemagne": "DE", "alemania": "DE", "germania": "DE",
        "duitsland": "DE", "alemanha": "DE",
        "frankreich": "FR", "francia": "FR", "frankrijk": "FR", "franca": "FR",
        "espana": "ES", "spanien": "ES", "espagne": "ES", "spagna": "ES", "spanje": "ES",
        "espanha": "ES",
        "italia": "IT", "italien": "IT", "italie": "IT",
        "nederland": "NL", "the netherlands": "NL", "holland": "NL", "niederlande": "NL",
        "pays bas": "NL", "paises bajos": "NL", "paesi bassi": "NL",
        "belgie": "BE", "belgique": "BE", "belgien": "BE", "belgica": "BE",
        "osterreich": "AT", "oesterreich": "AT", "autriche": "AT",
        "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "suiza": "CH",
        "sverige": "SE", "schweden": "SE", "suede": "SE", "norge": "NO", "norwegen": "NO",
        "danmark": "DK", "danemark": "DK", "suomi": "FI", "finnland": "FI",
        "polska": "PL", "polen": "PL", "pologne": "PL", "ceska republika": "CZ",
        "czech republic": "CZ", "cesko": "CZ", "slovensko": "SK", "magyarorszag": "HU",
        "rumanien": "RO", "hellas": "GR", "ellada": "GR",
        "eire": "IE", "ireland republic": "IE", "republic of ireland": "IE", "irland": "IE",
        "island": "IS", "letzebuerg": "LU", "luxemburg": "LU", "hrvatska": "HR",
        "slovenija": "SI", "eesti": "EE", "latvija": "LV", "lietuva": "LT",
        "kanada": "CA", "brasil": "BR", "brasilien": "BR", "bresil": "BR", "mexique": "MX",
        "mexiko": "MX", "australien": "AU", "australie": "AU",
        "aotearoa": "NZ", "indien": "IN", "inde": "IN", "bharat": "IN", "nippon": "JP",
        "prc": "CN", "peoples republic of china": "CN", "china mainland": "CN",
        "south korea": "KR", "korea": "KR", "republic of korea": "KR", "korea republic of": "KR",
        "north korea": "KP", "russian federation": "RU", "russland": "RU", "turkiye": "TR",
        "turkei": "TR", "uae": "AE", "u a e": "AE", "emirates": "AE", "ivory coast": "CI",
        "viet nam": "VN", "macedonia": "MK", "burma": "MM", "swaziland": "SZ",
        "cape verde": "CV", "east timor": "TL", "vatican": "VA", "holy see": "VA",
        "hong kong sar": "HK", "macau": "MO", "taiwan province of china": "TW",
        "republic of china": "TW", "dr congo": "CD", "drc": "CD", "congo kinshasa": "CD",
        "congo brazzaville": "CG", "congo": "CG", "saudi": "SA", "ksa": "SA",
        "singapur": "SG", "sudafrica": "ZA", "sudafrika": "ZA", "afrique du sud": "ZA",
        "rsa": "ZA", "bosnia": "BA", "moldova republic of": "MD",
        "iran islamic republic of": "IR", "tanzania united republic of": "TZ", "laos pdr": "LA",
        "lao": "LA", "syrian arab republic": "SY", "bolivia plurinational state of": "BO",
        "venezuela bolivarian republic of": "VE", "micronesia federated states of": "FM",
        "palestine state of": "PS", "st lucia": "LC", "st kitts and nevis": "KN",
        "st vincent and the grenadines": "VC", "trinidad": "TT", "the bahamas": "BS",
        "the gambia": "GM",
    }
)  # fmt: skip
"""Other spellings recognised by :func:`normalize_country` (keys are cleaned text)."""

EU_EEA: frozenset[str] = frozenset(
    (
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO"),  # EEA members outside the EU
        *("GF", "GP", "MQ", "RE", "YT", "MF", "AX"),  # EU outermost regions with own codes
    )
)
"""Countries where the GDPR applies directly (EU, EEA and EU outermost regions)."""

REGIME_BY_COUNTRY: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(EU_EEA, "GDPR"),
        "GB": "GDPR",
        **dict.fromkeys(("US", "PR", "GU", "VI", "AS", "MP", "UM"), "CAN-SPAM"),
        "CA": "CASL",
    }
)
"""ISO code → regime; every other recognised code is ``other``."""

COUNTRY_NOTES: Mapping[str, str] = MappingProxyType(
    {
        "GB": "UK GDPR + PECR: B2B email to corporate addresses may rely on legitimate "
        "interest; sole traders and partnerships are treated like consumers (consent).",
        "DE": "Germany: national law (UWG §7) generally requires prior consent for advertising "
        "email, B2B included; legitimate interest alone is usually not enough.",
    }
)
"""Country-specific caveats shown next to the regime."""

CONSENT_BY_COUNTRY: Mapping[str, bool] = MappingProxyType({"DE": True})
"""Countries whose national rules override the regime's ``consent_required``."""


def _clean(expr: pl.Expr) -> pl.Expr:
    return (
        expr.cast(pl.String)
        .str.to_lowercase()
        .str.replace_all("ß", "ss", literal=True)
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.strip_chars()
    )


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    clean = pl.Series(list(COUNTRY_NAMES.values())).to_frame("n").select(_clean(pl.col("n")))
    for code, name in zip(COUNTRY_NAMES, clean.to_series(), strict=True):
        table[name] = code
        table[code.lower()] = code
    for iso3, code in _ISO3.items():
        table[iso3.lower()] = code
    for alias, code in COUNTRY_ALIASES.items():
        table[alias.strip()] = code
    return table


_LOOKUP = _lookup()


def normalize_country(expr: pl.Expr) -> pl.Expr:
    """Country names, ISO-2/ISO-3 codes and common spellings to ISO-2 codes; else null.

    "Deutschland", "germany", "DE", "DEU" → ``DE``; "U.S.A.", "United States of America" → ``US``;
    "UK", "England", "GBR" → ``GB``. Values that are not recognised (and blanks) become null, so a
    caller can count them as unknown rather than guess.
    """
    cleaned = _clean(expr)
    return cleaned.replace_strict(
        list(_LOOKUP), list(_LOOKUP.values()), default=None, return_dtype=pl.String
    )


def regime_columns(country_code: pl.Expr) -> list[pl.Expr]:
    """Columns stating the applicable regime for an ISO-2 country expression.

    ``regime``, ``regime_law``, ``regime_basis``, ``regime_obligations``, ``consent_required``
    and ``regime_note`` (country caveats and the not-legal-advice reminder).
    """
    regime = (
        pl.when(country_code.is_null())
        .then(pl.lit("unknown"))
        .otherwise(
            country_code.replace_strict(
                list(REGIME_BY_COUNTRY),
                list(REGIME_BY_COUNTRY.values()),
                default="other",
                return_dtype=pl.String,
            )
        )
    )

    def field(name: str) -> pl.Expr:
        keys = list(REGIMES)
        values = [getattr(REGIMES[k], name) for k in keys]
        dtype = pl.Boolean if name == "consent_required" else pl.String
        return regime.replace_strict(keys, values, default=None, return_dtype=dtype)

    override = country_code.replace_strict(
        list(CONSENT_BY_COUNTRY),
        list(CONSENT_BY_COUNTRY.values()),
        default=None,
        return_dtype=pl.Boolean,
    )
    consent = pl.coalesce(override, field("consent_required"))
    note = country_code.replace_strict(
        list(COUNTRY_NOTES), list(COUNTRY_NOTES.values()), default="", return_dtype=pl.String
    ).fill_null("")
    return [
        regime.alias("regime"),
        field("law").alias("regime_law"),
        field("basis").alias("regime_basis"),
        field("obligations").alias("regime_obligations"),
        consent.alias("consent_required"),
        pl.concat_str([note, pl.lit(DISCLAIMER)], separator=" ")
        .str.strip_chars()
        .alias("regime_note"),
    ]


# -- suppression keys ------------------------------------------------------------------------------
#
# A suppression list is written by people: "Bob+News@Acme.com", "*.acme.com", "acme.com.",
# "bücher.de". Contacts are compared with it through the same keys, so an entry suppresses every
# spelling of the same person or domain.


def _idna_ascii(values: pl.Series) -> pl.Series:
    """Unicode domains to their ASCII (punycode) form; ASCII passes; unencodable → null.

    Only the distinct non-ASCII values go through the codec (a lookup table, not a row loop).
    """
    import idna

    todo = values.filter(values.is_not_null() & values.str.contains(r"[^\x00-\x7f]")).unique()
    if todo.len() == 0:
        return values
    mapped: list[str | None] = []
    for v in todo.to_list():
        try:
            mapped.append(idna.encode(v, uts46=True).decode("ascii"))
        except idna.IDNAError:
            try:  # IDNA 2003 (Python's codec) accepts some labels IDNA 2008 rejects
                mapped.append(v.encode("idna").decode("ascii"))
            except UnicodeError:
                mapped.append(None)
    return values.replace(todo, pl.Series(mapped, dtype=pl.String))


def domain_key(expr: pl.Expr) -> pl.Expr:
    """The form a domain is compared in for suppression: ``acme.com`` for every spelling.

    Lower-cased and stripped; scheme, ``www.``, a ``*.`` or ``@`` prefix, any path or port and
    leading/trailing dots removed; Unicode labels in ASCII form (``bücher.de`` →
    ``xn--bcher-kva.de``). A domain also covers all its subdomains (see the matching).
    """
    s = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    s = s.str.replace(r"^[a-z][a-z0-9+.-]*://", "").str.replace(r"^(\*\.|\*?@)", "")
    s = s.str.replace(r"^www\d?\.", "").str.replace(r"[/?#:].*$", "").str.strip_chars(". ")
    s = s.map_batches(_idna_ascii, return_dtype=pl.String)
    return pl.when(s != "").then(s)


def email_key(expr: pl.Expr) -> pl.Expr:
    """The form an email is compared in for suppression: ``bob@acme.com``.

    Lower-cased, spaces removed, the ``+tag`` of the local part dropped (``bob+news@`` is bob)
    and the domain keyed by :func:`domain_key`. Null when there is no ``local@domain``.
    """
    s = expr.cast(pl.String).str.to_lowercase().str.replace_all(r"\s+", "")
    local = s.str.extract(r"^([^@]+)@[^@]+$", 1).str.replace(r"\+.*$", "")
    domain = domain_key(s.str.extract(r"^[^@]+@([^@]+)$", 1))
    return pl.when((local != "") & domain.is_not_null()).then(local + "@" + domain)


VALID_DOMAIN_KEY = r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)+$"
"""What a :func:`domain_key` of a real domain looks like (at least two labels)."""


def regime_table() -> pl.DataFrame:
    """Every recognised country with its regime: the documented table, for docs and review."""
    codes = pl.DataFrame(
        {"country_code": list(COUNTRY_NAMES), "country": list(COUNTRY_NAMES.values())}
    )
    return codes.with_columns(regime_columns(pl.col("country_code"))).sort("country_code")


__all__ = [
    "CONSENT_BY_COUNTRY",
    "COUNTRY_ALIASES",
    "COUNTRY_NAMES",
    "COUNTRY_NOTES",
    "DISCLAIMER",
    "EU_EEA",
    "REGIMES",
    "REGIME_BY_COUNTRY",
    "VALID_DOMAIN_KEY",
    "Regime",
    "domain_key",
    "email_key",
    "normalize_country",
    "regime_columns",
    "regime_table",
]
