"""Code lists from the standards: ISO 3166-1 alpha-2, ISO 639-1, ISCED-F 2013, EQF, QF-EHEA.

Country and language codes come from the ISO tables that pycountry ships; the
ISCED-F 2013 broad, narrow and detailed fields are listed here as UNESCO publishes them.
"""

import gettext as gettext_module
import re
import unicodedata
from functools import cache

import pycountry
from django.utils.translation import get_language, gettext, gettext_lazy


@cache
def country_codes():
    return frozenset(c.alpha_2 for c in pycountry.countries)


def country_choices():
    """(code, name) of every ISO 3166-1 country, named and sorted in the active language
    (pycountry's own catalogue of the ISO names; English where it has none)."""
    return _country_choices((get_language() or "en").split("-")[0])


@cache
def _country_choices(language):
    names = _iso_catalogue("iso3166-1", language)
    return sorted(
        ((c.alpha_2, names.gettext(c.name)) for c in pycountry.countries),
        key=lambda c: locale_key(c[1]),
    )


def _iso_catalogue(domain, language):
    return gettext_module.translation(
        domain, pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def locale_key(text):
    """A sort key that files Ä with A and Ö with O, as a German reader expects."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def language_codes():
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


def is_country(code):
    return isinstance(code, str) and code in country_codes()


def is_language(code):
    return isinstance(code, str) and code in language_codes()


EQF_LEVELS = range(1, 9)

ISCED_F_2013 = {
    "00": "Generic programmes and qualifications",
    "001": "Basic programmes and qualifications",
    "0011": "Basic programmes and qualifications",
    "002": "Literacy and numeracy",
    "0021": "Literacy and numeracy",
    "003": "Personal skills and development",
    "0031": "Personal skills and development",
    "01": "Education",
    "011": "Education",
    "0110": "Education not further defined",
    "0111": "Education science",
    "0112": "Training for pre-school teachers",
    "0113": "Teacher training without subject specialisation",
    "0114": "Teacher training with subject specialisation",
    "0119": "Education not elsewhere classified",
    "0188": "Inter-disciplinary programmes and qualifications involving education",
    "02": "Arts and humanities",
    "021": "Arts",
    "0210": "Arts not further defined",
    "0211": "Audio-visual techniques and media production",
    "0212": "Fashion, interior and industrial design",
    "0213": "Fine arts",
    "0214": "Handicrafts",
    "0215": "Music and performing arts",
    "0219": "Arts not elsewhere classified",
    "022": "Humanities (except languages)",
    "0220": "Humanities (except languages) not further defined",
    "0221": "Religion and theology",
    "0222": "History and archaeology",
    "0223": "Philosophy and ethics",
    "0229": "Humanities (except languages) not elsewhere classified",
    "023": "Languages",
    "0230": "Languages not further defined",
    "0231": "Language acquisition",
    "0232": "Literature and linguistics",
    "0239": "Languages not elsewhere classified",
    "0288": "Inter-disciplinary programmes and qualifications involving arts and humanities",
    "03": "Social sciences, journalism and information",
    "031": "Social and behavioural sciences",
    "0310": "Social and behavioural sciences not further defined",
    "0311": "Economics",
    "0312": "Political sciences and civics",
    "0313": "Psychology",
    "0314": "Sociology and cultural studies",
    "0319": "Social and behavioural sciences not elsewhere classified",
    "032": "Journalism and information",
    "0320": "Journalism and information not further defined",
    "0321": "Journalism and reporting",
    "0322": "Library, information and archival studies",
    "0329": "Journalism and information not elsewhere classified",
    "0388": "Inter-disciplinary programmes and qualifications involving social sciences, "
    "journalism and information",
    "04": "Business, administration and law",
    "041": "Business and administration",
    "0410": "Business and administration not further defined",
    "0411": "Accounting and taxation",
    "0412": "Finance, banking and insurance",
    "0413": "Management and administration",
    "0414": "Marketing and advertising",
    "0415": "Secretarial and office work",
    "0416": "Wholesale and retail sales",
    "0417": "Work skills",
    "0419": "Business and administration not elsewhere classified",
    "042": "Law",
    "0421": "Law",
    "0488": "Inter-disciplinary programmes and qualifications involving business, "
    "administration and law",
    "05": "Natural sciences, mathematics and statistics",
    "051": "Biological and related sciences",
    "0510": "Biological and related sciences not further defined",
    "0511": "Biology",
    "0512": "Biochemistry",
    "0519": "Biological and related sciences not elsewhere classified",
    "052": "Environment",
    "0520": "Environment not further defined",
    "0521": "Environmental sciences",
    "0522": "Natural environments and wildlife",
    "0529": "Environment not elsewhere classified",
    "053": "Physical sciences",
    "0530": "Physical sciences not further defined",
    "0531": "Chemistry",
    "0532": "Earth sciences",
    "0533": "Physics",
    "0539": "Physical sciences not elsewhere classified",
    "054": "Mathematics and statistics",
    "0540": "Mathematics and statistics not further defined",
    "0541": "Mathematics",
    "0542": "Statistics",
    "0588": "Inter-disciplinary programmes and qualifications involving natural sciences, "
    "mathematics and statistics",
    "06": "Information and Communication Technologies (ICTs)",
    "061": "Information and Communication Technologies (ICTs)",
    "0610": "Information and Communication Technologies (ICTs) not further defined",
    "0611": "Computer use",
    "0612": "Database and network design and administration",
    "0613": "Software and applications development and analysis",
    "0619": "Information and Communication Technologies (ICTs) not elsewhere classified",
    "0688": "Inter-disciplinary programmes and qualifications involving Information and "
    "Communication Technologies (ICTs)",
    "07": "Engineering, manufacturing and construction",
    "071": "Engineering and engineering trades",
    "0710": "Engineering and engineering trades not further defined",
    "0711": "Chemical engineering and processes",
    "0712": "Environmental protection technology",
    "0713": "Electricity and energy",
    "0714": "Electronics and automation",
    "0715": "Mechanics and metal trades",
    "0716": "Motor vehicles, ships and aircraft",
    "0719": "Engineering and engineering trades not elsewhere classified",
    "072": "Manufacturing and processing",
    "0720": "Manufacturing and processing not further defined",
    "0721": "Food processing",
    "0722": "Materials (glass, paper, plastic and wood)",
    "0723": "Textiles (clothes, footwear and leather)",
    "0724": "Mining and extraction",
    "0729": "Manufacturing and processing not elsewhere classified",
    "073": "Architecture and construction",
    "0730": "Architecture and construction not further defined",
    "0731": "Architecture and town planning",
    "0732": "Building and civil engineering",
    "0788": "Inter-disciplinary programmes and qualifications involving engineering, "
    "manufacturing and construction",
    "08": "Agriculture, forestry, fisheries and veterinary",
    "081": "Agriculture",
    "0810": "Agriculture not further defined",
    "0811": "Crop and livestock production",
    "0812": "Horticulture",
    "0819": "Agriculture not elsewhere classified",
    "082": "Forestry",
    "0821": "Forestry",
    "083": "Fisheries",
    "0831": "Fisheries",
    "084": "Veterinary",
    "0841": "Veterinary",
    "0888": "Inter-disciplinary programmes and qualifications involving agriculture, "
    "forestry, fisheries and veterinary",
    "09": "Health and welfare",
    "091": "Health",
    "0910": "Health not further defined",
    "0911": "Dental studies",
    "0912": "Medicine",
    "0913": "Nursing and midwifery",
    "0914": "Medical diagnostic and treatment technology",
    "0915": "Therapy and rehabilitation",
    "0916": "Pharmacy",
    "0917": "Traditional and complementary medicine and therapy",
    "0919": "Health not elsewhere classified",
    "092": "Welfare",
    "0920": "Welfare not further defined",
    "0921": "Care of the elderly and of disabled adults",
    "0922": "Child care and youth services",
    "0923": "Social work and counselling",
    "0929": "Welfare not elsewhere classified",
    "0988": "Inter-disciplinary programmes and qualifications involving health and welfare",
    "10": "Services",
    "101": "Personal services",
    "1010": "Personal services not further defined",
    "1011": "Domestic services",
    "1012": "Hair and beauty services",
    "1013": "Hotel, restaurants and catering",
    "1014": "Sports",
    "1015": "Travel, tourism and leisure",
    "1019": "Personal services not elsewhere classified",
    "102": "Hygiene and occupational health services",
    "1020": "Hygiene and occupational health services not further defined",
    "1021": "Community sanitation",
    "1022": "Occupational health and safety",
    "1029": "Hygiene and occupational health services not elsewhere classified",
    "103": "Security services",
    "1030": "Security services not further defined",
    "1031": "Military and defence",
    "1032": "Protection of persons and property",
    "1039": "Security services not elsewhere classified",
    "104": "Transport services",
    "1041": "Transport services",
    "1088": "Inter-disciplinary programmes and qualifications involving services",
    "99": "Field unknown",
    "999": "Field unknown",
    "9999": "Field unknown",
}


def is_isced_f(code):
    return isinstance(code, str) and code in ISCED_F_2013


def isced_f_covers(limit, code):
    """True when the field `code` falls under `limit` (a broad, narrow or detailed field)."""
    return isinstance(code, str) and code.startswith(limit)


QF_EHEA_CYCLES = ("short", "first", "second", "third")

# Provider identifier schemes (contract).
IDENTIFIER_SCHEMES = (
    "schac",
    "eter",
    "deqar",
    "erasmus",
    "eu-pic",
    "eu-vat",
    "euid",
    "lei",
    "did",
    "national",
)


# --------------------------------------------------------------------------- identifiers

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# W3C DID Core 1.0, section 3.1: did:<method-name>:<method-specific-id>, where the method
# name is lower-case letters and digits and the id is idchars (ALPHA, DIGIT, ".", "-",
# "_", percent-encoded) in colon-separated segments, the last one non-empty.
_DID_CHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"^did:[a-z0-9]+:(?:{_DID_CHAR}*:)*{_DID_CHAR}+$")
_IDENTIFIER_FORMATS = {
    "deqar": (re.compile(r"^DEQARINST\d+$"), gettext_lazy("DEQARINST followed by digits")),
    "eter": (re.compile(r"^[A-Z]{2}\d+$"), gettext_lazy("two letters and digits, e.g. DE0001")),
    "eu-pic": (re.compile(r"^\d{9}$"), gettext_lazy("9 digits")),
    "erasmus": (
        re.compile(r"^[A-Z]{1,3} {0,2}[A-Z][A-Z-]*\d{2,3}$"),
        gettext_lazy("a country code and a city code with digits, e.g. NL AMSTERD01"),
    ),
    "eu-vat": (
        re.compile(r"^[A-Z]{2}[0-9A-Z+*]{2,13}$"),
        gettext_lazy("a country prefix and 2-13 characters"),
    ),
    "euid": (
        re.compile(r"^[A-Z]{2}[A-Z0-9.-]{3,}$"),
        gettext_lazy("a country code and the register's id"),
    ),
}


def _lei_checks(value):
    """ISO 17442: 20 characters, the last two check digits by ISO 7064 MOD 97-10 (the
    number made by reading letters as 10..35 leaves 1 when divided by 97)."""
    if not re.fullmatch(r"[0-9A-Z]{18}[0-9]{2}", value):
        return False
    return int("".join(str(int(c, 36)) for c in value)) % 97 == 1


def identifier_problem(scheme, value):
    """None when `value` is well formed for `scheme`, else what is wrong with it."""
    if scheme == "lei":
        if not _lei_checks(value):
            return gettext(
                "is not a Legal Entity Identifier (20 characters with valid check digits)"
            )
        return None
    if scheme == "schac":
        if not _DOMAIN.match(value):
            return gettext("is not a domain name (a SCHAC home organisation), e.g. uni.example.org")
        return None
    if scheme == "did":
        if value.startswith("did:did:") or not _DID.match(value):
            return gettext("is not a DID (did:<method>:<id>)")
        return None
    if scheme in _IDENTIFIER_FORMATS:
        pattern, expected = _IDENTIFIER_FORMATS[scheme]
        if not pattern.match(value):
            return gettext("is not a well-formed %(scheme)s identifier (%(expected)s)") % {
                "scheme": scheme,
                "expected": expected,
            }
        return None
    return None if value.strip() else gettext("is empty")
