"""`GET /api/v1/registry/accreditations/{id}/`: the accreditation as JSON and as an ELM 3
`Accreditation` that conforms to ELM's own SHACL shapes (checked offline with pyld,
rdflib and pyshacl against the publishers' artefacts in shared/specs)."""

import copy
import datetime

import pytest
import rdflib
from django.conf import settings

from accreditation.models import Accreditation, Application, ProviderMembership
from accreditation.services import application_transition
from demo.scenario import accreditation_record as accreditation_row
from demo.scenario import decision_record, ready_report
from registry import elm
from registry.accreditations import accreditation_record
from registry.elm import accreditation_elm
from reviews.models import Report
from tests.factories import ApplicationFactory, IdentifierFactory, UserFactory
from tests.registry.conftest import day
from tests.registry.elm_conformance import ELM, accreditation_nodes, expand, validate

pytestmark = pytest.mark.django_db
LD = "application/ld+json"
DC = rdflib.Namespace("http://purl.org/dc/terms/")


def url(pk):
    return f"/api/v1/registry/accreditations/{pk}/"


@pytest.fixture
def demo(history):
    """A registry like the demo's: an institutional accreditation with limits and a
    published report, a course approval, a suspended, a revoked and an annulled one."""
    ada = history.provider(name="Amsterdam Data Academy", country="NL", identifier="ada.nl")
    IdentifierFactory(provider=ada, scheme="deqar", value="DEQARINST0042")
    IdentifierFactory(provider=ada, scheme="eter", value="NL0042")
    course = history.course(ada, title="Data Stewardship", eqf_level=6, isced_f="0613")
    inst_app, _, inst = history.decide(
        ada, when=day("2025-01-10"), eqf_levels=[5, 6], isced_fields=["06", "0613"]
    )
    report = ready_report(inst_app, Report.Stage.PUBLISHED)
    course_app, _, approval = history.decide(ada, course=course, when=day("2025-02-10"))
    ready_report(course_app, Report.Stage.PUBLISHED)

    bhs = history.provider(name="Berlin Health School", country="DE", identifier="bhs.de")
    _, _, suspended = history.decide(bhs, when=day("2025-01-11"))
    history.change(
        suspended, "suspend", when=day("2025-03-01"), reason="complaint", comment="Under review."
    )
    lri = history.provider(name="Lyon Revoked Institute", country="FR", identifier="lri.fr")
    _, _, revoked = history.decide(lri, when=day("2025-01-12"))
    history.change(revoked, "revoke", when=day("2025-04-01"), reason="fraud", comment="Forged.")

    wap = history.provider(name="Warsaw Appeal Polytechnic", country="PL", identifier="wap.pl")
    appealed_app, _, annulled = history.decide(wap, name="accredit_with_conditions")
    member = UserFactory()
    ProviderMembership.objects.create(user=member, provider=wap)
    application_transition(
        application=appealed_app, name="appeal", actor=member, data={"grounds": "Unfair."}
    )
    application_transition(application=appealed_app, name="uphold_appeal", actor=history.appeals)
    history.publish()
    return {
        "inst": inst,
        "report": report,
        "course": course,
        "approval": approval,
        "suspended": suspended,
        "revoked": revoked,
        "annulled": annulled,
    }


# --------------------------------------------------------------------------- JSON


def test_json_is_the_accreditation_as_the_registry_shows_it(api, demo):
    inst, report = demo["inst"], demo["report"]
    response = api.get(url(inst.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["id"] == inst.pk
    assert body["url"] == settings.MCQA_SITE_URL.rstrip("/") + url(inst.pk)
    assert body["status"] == "active"
    assert body["decision"] == "positive"
    assert body["scope"] == "provider"
    assert body["course"] is None
    assert (body["valid_from"], body["eqf_levels"], body["isced_fields"]) == (
        "2025-01-10",
        [5, 6],
        ["06", "0613"],
    )
    assert body["provider"]["legal_name"] == "Amsterdam Data Academy"
    assert {"scheme": "deqar", "value": "DEQARINST0042"} in body["provider"]["identifiers"]
    assert body["report"]["url"].endswith(f"/api/v1/reports/{report.pk}/pdf/")
    assert [h["type"] for h in body["history"]] == ["create"]
    assert body["issuer"]["id"].startswith("did:web:")


def test_json_of_a_course_approval_names_the_course_by_its_uid(api, demo):
    body = api.get(url(demo["approval"].pk)).json()
    course = demo["course"]
    assert body["scope"] == "course"
    assert body["course"]["uid"] == str(course.uid)
    assert body["course"]["url"].endswith(f"/registry/courses/{course.uid}/")
    assert body["course"]["title"] == "Data Stewardship"


@pytest.mark.parametrize(
    ("case", "status", "last"),
    [
        ("suspended", "suspended", ("suspend", "complaint", "Under review.")),
        ("revoked", "revoked", ("revoke", "fraud", "Forged.")),
        ("annulled", "annulled", ("annul", "appeal_upheld", None)),
    ],
)
def test_json_says_the_status_and_why_it_changed(api, demo, case, status, last):
    body = api.get(url(demo[case].pk)).json()
    assert body["status"] == status
    change = body["history"][-1]
    assert (change["type"], change["reason"]) == last[:2]
    if last[2] is not None:
        assert change["comment"] == last[2]


def test_unknown_accreditation_is_404(api, demo):
    assert api.get(url(Accreditation.objects.order_by("-pk")[0].pk + 1000)).status_code == 404


def test_accreditation_not_in_the_registry_is_404(api, history):
    """An accreditation row the projection has not published (written directly, as no
    service would) is not the registry's to show."""
    application = ApplicationFactory(
        kind=Application.Kind.PROVIDER, provider=history.provider(), course=None
    )
    decision = decision_record(application, outcome="positive", decided_by=history.decider)
    unprojected = accreditation_row(decision)
    assert api.get(url(unprojected.pk)).status_code == 404
    assert api.get(url(unprojected.pk), HTTP_ACCEPT=LD).status_code == 404


def test_answer_is_cacheable_per_media_type(api, demo):
    first = api.get(url(demo["inst"].pk))
    assert first["Vary"] == "Accept"
    assert first["Access-Control-Allow-Origin"] == "*"
    again = api.get(url(demo["inst"].pk), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    ld = api.get(url(demo["inst"].pk), HTTP_ACCEPT=LD, HTTP_IF_NONE_MATCH=first["ETag"])
    assert ld.status_code == 200 and ld["ETag"] != first["ETag"]


def test_a_refused_media_type_is_not_chosen(api, demo):
    response = api.get(url(demo["inst"].pk), HTTP_ACCEPT=f"{LD};q=0, application/json")
    assert response["Content-Type"] == "application/json"
    response = api.get(url(demo["inst"].pk), HTTP_ACCEPT=f"text/html, {LD};q=0.9")
    assert response["Content-Type"] == LD


# --------------------------------------------------------------------------- ELM


def elm_of(api, pk):
    response = api.get(url(pk), HTTP_ACCEPT=LD)
    assert response.status_code == 200
    assert response["Content-Type"] == LD
    return response.json()


def test_every_accreditation_conforms_to_elm_shapes(api, demo):
    pks = list(Accreditation.objects.values_list("pk", flat=True))
    assert len(pks) == 5
    for pk in pks:
        document = elm_of(api, pk)
        conforms, graph, text = validate(document)
        assert conforms, text
        # Shapes pass vacuously on a graph without typed nodes: there must be one.
        assert accreditation_nodes(graph) == {rdflib.URIRef(document["id"])}
        assert document["id"].endswith(url(pk))


def test_limits_use_the_official_concept_uris(api, demo):
    document = elm_of(api, demo["inst"].pk)
    _, graph, _ = validate(document)
    acc = rdflib.URIRef(document["id"])
    fields = set(graph.objects(acc, ELM.limitField))
    assert fields == {
        rdflib.URIRef("http://data.europa.eu/snb/isced-f/06"),
        rdflib.URIRef("http://data.europa.eu/snb/isced-f/0613"),
    }
    assert set(graph.objects(acc, ELM.limitEQFLevel)) == {
        rdflib.URIRef("http://data.europa.eu/snb/eqf/5"),
        rdflib.URIRef("http://data.europa.eu/snb/eqf/6"),
    }
    assert set(graph.objects(acc, ELM.limitJurisdiction)) == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/country/BEL")
    }
    (kind,) = graph.objects(acc, DC.type)
    assert kind == rdflib.URIRef("http://data.europa.eu/snb/accreditation/bb4618238e")
    (issued,) = graph.objects(acc, DC.issued)
    assert issued.datatype == rdflib.XSD.dateTime
    assert str(issued).startswith("2025-01-10T12:00:00")
    (expiry,) = graph.objects(acc, ELM.expiryDate)
    end = datetime.datetime.combine(demo["inst"].valid_until, datetime.time(23, 59, 59))
    assert expiry.toPython() == end.replace(tzinfo=datetime.UTC)
    (report,) = graph.objects(acc, ELM.report)
    (content_url,) = graph.objects(report, ELM.contentUrl)
    assert str(content_url).endswith(f"/api/v1/reports/{demo['report'].pk}/pdf/")


def test_course_approval_names_its_course_as_limit_abstract_programme(api, demo):
    document = elm_of(api, demo["approval"].pk)
    _, graph, _ = validate(document)
    acc = rdflib.URIRef(document["id"])
    course_uri = rdflib.URIRef(
        f"{document['id'].split('/api/')[0]}/registry/courses/{demo['course'].uid}/"
    )
    assert set(graph.objects(acc, ELM.limitAbstractProgramme)) == {course_uri}
    (kind,) = graph.objects(acc, DC.type)
    assert kind == rdflib.URIRef("http://data.europa.eu/snb/accreditation/820101cba6")


def test_organisations_carry_legal_name_and_country(api, demo):
    document = elm_of(api, demo["inst"].pk)
    _, graph, _ = validate(document)
    acc = rdflib.URIRef(document["id"])
    (provider,) = graph.objects(acc, ELM.organisation)
    (agency,) = graph.objects(acc, ELM.accreditingAgent)
    rov = rdflib.Namespace("http://www.w3.org/ns/regorg#")
    assert rdflib.Literal("Amsterdam Data Academy", lang="en") in set(
        graph.objects(provider, rov.legalName)
    )
    assert str(agency).startswith("did:web:")
    (location,) = graph.objects(provider, ELM.location)
    (address,) = graph.objects(location, ELM.address)
    assert set(graph.objects(address, ELM.countryCode)) == {
        rdflib.URIRef("http://publications.europa.eu/resource/authority/country/NLD")
    }


def test_lifecycle_status_is_not_elm_publication_status(api, demo):
    for case in ("suspended", "revoked", "annulled"):
        document = elm_of(api, demo[case].pk)
        conforms, graph, _ = validate(document)
        assert conforms
        assert not list(graph.triples((None, ELM.status, None)))


@pytest.mark.parametrize(
    "remove",
    [
        ("organisation",),
        ("accreditingAgent",),
        ("title",),
        ("dcType",),
        ("organisation", "legalName"),
        ("organisation", "location"),
        ("accreditingAgent", "location", "address"),
    ],
)
def test_a_document_without_a_mandatory_property_does_not_conform(api, demo, remove):
    document = copy.deepcopy(elm_of(api, demo["inst"].pk))
    node = document
    for key in remove[:-1]:
        node = node[key]
    del node[remove[-1]]
    conforms, graph, _ = validate(document)
    assert accreditation_nodes(graph)
    assert not conforms


def test_a_wrongly_typed_value_does_not_conform(api, demo):
    document = elm_of(api, demo["inst"].pk)
    document["dateIssued"] = "10 January 2025"
    conforms, _, _ = validate(document)
    assert not conforms


def test_without_the_id_and_type_aliases_nothing_would_be_checked(api, demo):
    """Why the document carries its own `id`/`type` aliases: ELM's context lacks them,
    and without them the shapes find no node to check."""
    document = elm_of(api, demo["inst"].pk)
    document["@context"] = document["@context"][0]
    conforms, graph, _ = validate(document)
    assert conforms and not accreditation_nodes(graph)


def test_expansion_keeps_every_property_it_is_given(demo):
    """No key of the document is dropped on expansion for want of a context term (the
    course approval's `limitAbstractProgramme` is not in ELM's context)."""
    document = accreditation_elm(accreditation_record(demo["approval"].pk))
    (expanded,) = expand(document)
    keys = {k for k in document if not k.startswith("@") and k not in ("id", "type")}
    assert len(keys) == len([k for k in expanded if not k.startswith("@")])


# --------------------------------------------------------------------------- workload, level


def test_a_course_in_ects_with_a_level_has_credit_points_and_an_eqf_level():
    node = elm.learning_specification(
        {"workload_ects": "5.00", "eqf_level": 6, "level_not_applicable": False},
        url="https://qa.example.org/registry/courses/u/",
        title="Data",
    )
    assert node["creditPoint"][0]["point"] == "5"
    assert node["creditPoint"][0]["framework"]["id"] == elm.ECTS
    assert node["eqfLevel"]["id"] == "http://data.europa.eu/snb/eqf/6"
    assert "volumeOfLearning" not in node


def test_a_course_in_hours_with_no_level_has_a_volume_of_learning_and_no_eqf_level():
    node = elm.learning_specification(
        {"workload_ects": None, "workload_hours": "37.50", "level_not_applicable": True},
        url="https://qa.example.org/registry/courses/u/",
        title="First Aid",
    )
    assert node["volumeOfLearning"] == "PT37H30M"
    assert "creditPoint" not in node and "eqfLevel" not in node


@pytest.mark.parametrize(
    ("hours", "duration"),
    [("30", "PT30H"), ("0.25", "PT15M"), ("1.01", "PT1H36S"), ("0.001", "PT3.6S")],
)
def test_hours_are_an_iso_8601_duration(hours, duration):
    assert elm.hours_duration(hours) == duration
