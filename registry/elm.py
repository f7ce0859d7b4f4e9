"""An accreditation as an ELM 3 `Accreditation` (European Learning Model, the model of
Europass Digital Credentials), in JSON-LD.

The document uses ELM's own JSON-LD context (`CONTEXT_URL`, the EDC application
profile) and ELM's property names, so an EDC credential can point to it and a validator
can check it against ELM's SHACL shapes for accreditations (the AMS application
profile). What the shapes ask for, and why the document looks the way it does:

- ELM's context does not alias `id` and `type`; a standalone document adds
  `{"id": "@id", "type": "@type"}` or it expands to no typed node at all.
- The context has no term for `elm:limitAbstractProgramme`, so the document defines it
  (otherwise the course would silently vanish on expansion). `dc:issued` is the context's
  `dateIssued`; `dc:valid`, `dateIssued` and `expiryDate` are `xsd:dateTime`.
- Every value a shape constrains with `sh:class` is typed (`Concept`, `Organisation`,
  `Location`, `Address`, `WebResource`, `ConceptScheme`): SHACL checks the type triple.
- An `Organisation` needs a legal name and a location with an address and a country
  (`countryCode`); names are language-tagged strings.
- Controlled vocabularies: ISCED-F and EQF concepts of the EU Vocabularies, the
  accreditation types of the EDC controlled list, countries of the EU country authority
  table, decisions as DEQAR names them. The lifecycle status (suspended, revoked, ...)
  is not ELM's `status`, which is the publication status of the record.
"""

import datetime
from decimal import Decimal
from functools import cache

import pycountry
from django.conf import settings

from core.reference import ISCED_F_2013

CONTEXT_URL = "http://data.europa.eu/snb/model/context/edc-ap"
LOCAL_CONTEXT = {
    "id": "@id",
    "type": "@type",
    "limitAbstractProgramme": {"@id": "elm:limitAbstractProgramme", "@type": "@id"},
}
MEDIA_TYPE = "application/ld+json"

# EU Vocabularies concept schemes (data.europa.eu/snb) and authority tables.
ISCED_F = "http://data.europa.eu/snb/isced-f/"
ISCED_F_SCHEME = "http://data.europa.eu/snb/isced-f/25831c2"
EQF = "http://data.europa.eu/snb/eqf/"
EQF_SCHEME = "http://data.europa.eu/snb/eqf/25831c2"
ACCREDITATION_TYPE_SCHEME = "http://data.europa.eu/snb/accreditation/25831c2"
# The EDC controlled list of accreditation types: the agency assures quality (it grants
# no licence to operate), of a whole provider or of one course.
ACCREDITATION_TYPES = {
    "provider": (
        "http://data.europa.eu/snb/accreditation/bb4618238e",
        "Institutional quality assurance",
    ),
    "course": (
        "http://data.europa.eu/snb/accreditation/820101cba6",
        "Programme quality assurance",
    ),
}
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
# Decisions as DEQAR names them (the EDC accreditation database is fed from DEQAR).
DECISIONS = {
    "positive": "positive",
    "positive_with_conditions": "positive with conditions or restrictions",
    "negative": "negative",
}
DECISION = "https://data.deqar.eu/decision/"


def _en(text):
    return {settings.LANGUAGE_CODE[:2]: text}


def concept(uri, label, *, notation=None, scheme=None):
    """A SKOS concept of a controlled vocabulary, typed so that SHACL sees its class."""
    node = {"id": uri, "type": "Concept", "prefLabel": _en(label)}
    if notation is not None:
        node["notation"] = str(notation)
    if scheme is not None:
        node["inScheme"] = {"id": scheme, "type": "ConceptScheme"}
    return node


@cache
def _alpha3(code):
    country = pycountry.countries.get(alpha_2=code)
    return (country.alpha_3, country.name) if country else (None, None)


def country_concept(code):
    """An ISO 3166-1 alpha-2 country as a concept of the EU country authority table
    (which is keyed by alpha-3 codes)."""
    alpha3, name = _alpha3(code)
    if alpha3 is None:
        return None
    return concept(COUNTRY + alpha3, name, notation=alpha3, scheme=COUNTRY_SCHEME)


def language_concept(code):
    """An ISO 639-1 language as a concept of the EU language authority table (keyed by
    three-letter codes)."""
    language = pycountry.languages.get(alpha_2=code)
    alpha3 = language.alpha_3.upper()
    return concept(LANGUAGE + alpha3, language.name, notation=alpha3, scheme=LANGUAGE_SCHEME)


def isced_f_concept(code):
    return concept(ISCED_F + code, ISCED_F_2013[code], notation=code, scheme=ISCED_F_SCHEME)


def eqf_concept(level):
    return concept(EQF + str(level), f"Level {level}", notation=level, scheme=EQF_SCHEME)


def _location(country):
    """A location with the one thing the registry knows of it: the country."""
    address = {"type": "Address"}
    country_node = country_concept(country)
    if country_node is not None:
        address["countryCode"] = country_node
    return {"type": "Location", "address": address}


def _start_of(day):
    return f"{day}T00:00:00Z"


def _end_of(day):
    """The last second of `day`: an accreditation is valid through its `valid_until`
    day (UTC) and expired once that day has ended."""
    return f"{day}T23:59:59Z"


def _datetime(text):
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


SCHEME_NAMES = {
    "deqar": "DEQARINST",
    "eter": "ETER",
    "schac": "SCHAC",
    "erasmus": "Erasmus",
    "eu-pic": "EU PIC",
    "eu-vat": "EU VAT",
    "euid": "EUID",
    "lei": "LEI",
    "did": "DID",
    "national": "national",
}


def provider_organisation(provider):
    """The accredited provider as an ELM `Organisation` (its registry page is its id)."""
    node = {
        "id": provider["url"],
        "type": "Organisation",
        "legalName": _en(provider["legal_name"]),
        "location": _location(provider["country"]),
    }
    identifiers = [
        {
            "type": "Identifier",
            "notation": i["value"],
            "schemeName": SCHEME_NAMES.get(i["scheme"], i["scheme"]),
        }
        for i in provider["identifiers"]
    ]
    if identifiers:
        node["identifier"] = identifiers
    return node


def agency_organisation(issuer):
    """The agency (the accrediting agent): its `did:web` id, name, acronym, country."""
    node = {
        "id": issuer["id"],
        "type": "Organisation",
        "legalName": _en(issuer["name"]),
        "location": _location(settings.MCQA_AGENCY_COUNTRY),
    }
    if settings.MCQA_AGENCY_ACRONYM and issuer["name"] != settings.MCQA_AGENCY_ACRONYM:
        node["altLabel"] = _en(settings.MCQA_AGENCY_ACRONYM)
    return node


# The ECTS as ELM's education-credit framework.
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"


def hours_duration(hours):
    """Notional hours as an xsd:duration (ISO 8601), whole units but the seconds:
    37.5 -> PT37H30M; 30 -> PT30H."""
    seconds = Decimal(str(hours)) * 3600
    whole_hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "PT"
    if whole_hours:
        text += f"{int(whole_hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if seconds:
        text += f"{seconds.normalize():f}S"
    return text if text != "PT" else "PT0S"


def learning_specification(elements, *, url, title):
    """A frozen course version's workload and level as an ELM
    `LearningAchievementSpecification`: the ECTS as a `creditPoint` (framework ECTS),
    else the hours as `volumeOfLearning` (an ISO 8601 duration); the EQF level as
    `eqfLevel` only when a level applies and one is given (Annex I: "if applicable")."""
    node = {"id": url, "type": "LearningAchievementSpecification", "title": _en(title)}
    ects = elements.get("workload_ects")
    hours = elements.get("workload_hours")
    if ects not in (None, ""):
        node["creditPoint"] = [
            {
                "type": "CreditPoint",
                "framework": concept(ECTS, "European Credit Transfer and Accumulation System"),
                "point": f"{Decimal(str(ects)).normalize():f}",
            }
        ]
    elif hours not in (None, ""):
        node["volumeOfLearning"] = hours_duration(hours)
    level = elements.get("eqf_level")
    if not elements.get("level_not_applicable") and level:
        node["eqfLevel"] = eqf_concept(level)
    return node


def accreditation_elm(record):
    """The ELM 3 `Accreditation` of an accreditation record (`registry.accreditations`).

    Limits: an empty list of EQF levels or ISCED-F fields sets no limit, so the property
    is left out (ELM reads a missing limit as "no limit"). A course approval names its
    course as `limitAbstractProgramme`, the concept identified by the course's public URI.
    """
    scope = record["scope"]
    type_uri, type_label = ACCREDITATION_TYPES[scope]
    provider = record["provider"]
    if record["course"] is not None:
        title = f"{type_label}: {record['course']['title']} ({provider['legal_name']})"
    else:
        title = f"{type_label}: {provider['legal_name']}"
    document = {
        "@context": [CONTEXT_URL, LOCAL_CONTEXT],
        "id": record["url"],
        "type": "Accreditation",
        "dcType": concept(type_uri, type_label, scheme=ACCREDITATION_TYPE_SCHEME),
        "title": _en(title),
        "organisation": provider_organisation(provider),
        "accreditingAgent": agency_organisation(record["issuer"]),
    }
    label = DECISIONS.get(record["decision"])
    if label is not None:
        document["decision"] = concept(DECISION + label.replace(" ", "_"), label)
    report = record["report"]
    if report:
        document["report"] = {
            "type": "WebResource",
            "title": _en("Quality assurance report and decision"),
            "language": language_concept(settings.LANGUAGE_CODE[:2]),
            "contentURL": report["url"],
        }
    if record["isced_fields"]:
        document["limitField"] = [isced_f_concept(str(c)) for c in record["isced_fields"]]
    if record["eqf_levels"]:
        document["limitEQFLevel"] = [eqf_concept(level) for level in record["eqf_levels"]]
    jurisdiction = country_concept(settings.MCQA_AGENCY_COUNTRY)
    if jurisdiction is not None:
        document["limitJurisdiction"] = jurisdiction
    if record["course"] is not None:
        document["limitAbstractProgramme"] = {
            "id": record["course"]["url"],
            "type": "Concept",
            "prefLabel": _en(record["course"]["title"]),
        }
    if record["decided_at"]:
        document["dateIssued"] = _datetime(record["decided_at"])
    if record["valid_from"]:
        document["valid"] = _start_of(record["valid_from"])
    if record["valid_until"]:
        document["expiryDate"] = _end_of(record["valid_until"])
    return document
