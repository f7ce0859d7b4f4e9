"""Search, detail and export as a verifier syncing the registry would use them."""

import csv
import io
import json

import pytest

from demo.scenario import ready_report
from reviews.models import Report
from tests.factories import IdentifierFactory
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
LIST = "/api/v1/registry/providers/"


def ids(response):
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


@pytest.fixture
def registry(history):
    nl = history.provider(name="Amsterdam Data Academy", country="NL", identifier="ada.nl")
    de = history.provider(name="Berlin Health School", country="DE", identifier="bhs.de")
    fr = history.provider(name="Lyon Rejected Institute", country="FR", identifier="lri.fr")
    IdentifierFactory(provider=de, scheme="erasmus", value="D BERLIN99")
    history.decide(nl, when=day("2025-01-10"), eqf_levels=[5, 6], isced_fields=["06"])
    course = history.course(de, eqf_level=7, isced_f="0913")
    _, _, acc = history.decide(de, course=course, when=day("2025-01-11"))
    history.change(acc, "suspend", when=day("2025-02-01"))
    history.decide(fr, name="reject", when=day("2025-01-12"))
    outside = history.provider(name="Not In Registry", identifier="nir.example.org")
    history.publish()
    return {"nl": nl, "de": de, "fr": fr, "course": course, "outside": outside}


def test_only_providers_with_a_decision_are_listed(api, registry):
    assert sorted(ids(api.get(LIST))) == sorted(
        [registry["nl"].pk, registry["de"].pk, registry["fr"].pk]
    )


def test_text_search_over_names_and_identifiers(api, registry):
    assert ids(api.get(LIST, {"q": "amsterdam"})) == [registry["nl"].pk]
    assert ids(api.get(LIST, {"q": "BERLIN99"})) == [registry["de"].pk]
    assert ids(api.get(LIST, {"q": "schac:lri.fr"})) == [registry["fr"].pk]
    assert ids(api.get(LIST, {"q": "health school"})) == [registry["de"].pk]
    assert ids(api.get(LIST, {"q": "nothing like this"})) == []


def test_filters(api, registry):
    assert ids(api.get(LIST, {"country": "de"})) == [registry["de"].pk]
    assert ids(api.get(LIST, {"status": "active"})) == [registry["nl"].pk]
    assert ids(api.get(LIST, {"status": "suspended"})) == [registry["de"].pk]
    assert ids(api.get(LIST, {"status": "none"})) == [registry["fr"].pk]
    assert ids(api.get(LIST, {"eqf_level": "6"})) == [registry["nl"].pk]
    assert ids(api.get(LIST, {"eqf_level": "7"})) == [registry["de"].pk]
    assert ids(api.get(LIST, {"eqf_level": "3"})) == []
    assert ids(api.get(LIST, {"isced_f": "0613"})) == [registry["nl"].pk]
    assert ids(api.get(LIST, {"isced_f": "09"})) == [registry["de"].pk]


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "Netherlands"}, "country"),
        ({"status": "trusted"}, "status"),
        ({"eqf_level": "9"}, "eqf_level"),
        ({"eqf_level": "0"}, "eqf_level"),
        ({"eqf_level": "six"}, "eqf_level"),
        ({"isced_f": "9876"}, "isced_f"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_invalid_filter_is_400_naming_it(api, registry, params, name):
    response = api.get(LIST, params)
    assert response.status_code == 400
    assert name in response.json()


@pytest.mark.parametrize("q", ["' OR 1=1 --", "%", "_", "\\", "'; DROP TABLE x; --", "<script>"])
def test_injection_strings_are_harmless(api, registry, q):
    assert ids(api.get(LIST, {"q": q})) == []


def test_cursor_pagination_walks_every_provider(api, history):
    for n in range(7):
        provider = history.provider(name=f"Provider {n:02d}", identifier=f"p{n}.example.org")
        history.decide(provider, name="reject")
    history.publish()
    seen, url = [], LIST + "?page_size=3"
    while url:
        body = api.get(url).json()
        seen.extend(r["legal_name"] for r in body["results"])
        url = body["next"]
    assert seen == [f"Provider {n:02d}" for n in range(7)]


def test_list_at_constant_query_count(api, history, django_assert_max_num_queries):
    for n in range(30):
        provider = history.provider(name=f"P{n}", identifier=f"p{n}.example.org")
        history.decide(provider, name="reject" if n % 2 else "accredit")
    history.publish()
    with django_assert_max_num_queries(2):
        assert len(ids(api.get(LIST, {"page_size": 30}))) == 30
    with django_assert_max_num_queries(2):
        api.get(f"/api/v1/registry/providers/{provider.pk}/")
    with django_assert_max_num_queries(1):
        assert len(api.get("/api/v1/registry/changes/?after=0").json()["events"]) == 45


def test_detail_lists_accreditations_courses_and_every_decision(api, history):
    provider = history.provider()
    course = history.course(provider, title="Data Stewardship")
    inst_app, _, inst = history.decide(provider, when=day("2025-01-10"))
    report = ready_report(inst_app, Report.Stage.PUBLISHED)
    rejected_app, _, _ = history.decide(
        provider, course=course, name="reject", when=day("2025-02-10")
    )
    course_app, _, course_acc = history.decide(provider, course=course, when=day("2025-06-10"))
    history.publish()
    body = api.get(f"/api/v1/registry/providers/{provider.pk}/").json()
    assert body["identifiers"] == [{"scheme": "schac", "value": "uni.example.org"}]
    by_id = {a["id"]: a for a in body["accreditations"]}
    assert by_id[inst.pk]["scope"] == "provider"
    assert by_id[course_acc.pk]["scope"] == course.pk
    assert by_id[inst.pk]["report"]["sha256"] == report.sha256
    assert by_id[inst.pk]["report"]["url"].endswith(f"/api/v1/reports/{report.pk}/pdf/")
    assert set(by_id[inst.pk]) >= {
        "id",
        "scope",
        "decision",
        "status",
        "valid_from",
        "valid_until",
        "conditions",
        "report",
    }
    assert [c["title"] for c in body["courses"]] == ["Data Stewardship"]
    decisions = {d["application"]: d for d in body["decisions"]}
    assert decisions[rejected_app.pk]["decision"] == "negative"
    assert decisions[rejected_app.pk]["scope"] == course.pk
    assert decisions[inst_app.pk]["report"]["sha256"] == report.sha256
    assert decisions[course_app.pk]["report"] is None
    assert set(decisions[inst_app.pk]) >= {
        "application",
        "scope",
        "decision",
        "decided_at",
        "report",
    }


def test_unknown_provider_detail_is_404(api, registry):
    assert api.get("/api/v1/registry/providers/999999/").status_code == 404
    not_published = api.get(f"/api/v1/registry/providers/{registry['outside'].pk}/")
    assert not_published.status_code == 404


def api_records(api):
    records, url = {}, LIST + "?page_size=200"
    while url:
        body = api.get(url).json()
        for item in body["results"]:
            records[item["id"]] = api.get(item["url"]).json()
        url = body["next"]
    return records


def test_export_jsonl_matches_the_api(api, registry):
    response = api.get("/api/v1/registry/export/", {"format": "jsonl"})
    assert response.status_code == 200 and response.streaming
    lines = b"".join(response.streaming_content).decode().splitlines()
    exported = {r["id"]: r for r in map(json.loads, lines)}
    expected = api_records(api)
    assert exported.keys() == expected.keys()
    for pk, record in exported.items():
        for key in ("legal_name", "country", "status", "identifiers", "accreditations"):
            assert record[key] == expected[pk][key]


def test_export_csv_matches_the_api(api, registry):
    response = api.get("/api/v1/registry/export/", {"format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = api_records(api)
    assert {int(r["id"]) for r in rows} == set(expected)
    for row in rows:
        record = expected[int(row["id"])]
        assert row["legal_name"] == record["legal_name"]
        assert row["status"] == record["status"]
        assert json.loads(row["identifiers"]) == record["identifiers"]
        assert json.loads(row["accreditations"]) == record["accreditations"]


def test_export_rejects_unknown_format(api, registry):
    response = api.get("/api/v1/registry/export/", {"format": "xml"})
    assert response.status_code == 400 and "format" in response.json()


def test_static_snapshot_is_signed_and_complete(api, registry, tmp_path):
    import hashlib

    from django.core.management import call_command
    from joserfc import jws
    from joserfc.jwk import KeySet

    call_command("registry_publish_static", str(tmp_path), stdout=open("/dev/null", "w"))  # noqa: SIM115
    keys = KeySet.import_key_set(json.loads((tmp_path / "jwks.json").read_text()))
    token = (tmp_path / "manifest.jws").read_text()
    manifest = json.loads(jws.deserialize_compact(token, keys, algorithms=["EdDSA"]).payload)
    names = set(manifest["files"])
    assert {"registry.csv", "registry.jsonl", "jwks.json"} <= names
    assert {f"providers/{registry[k].pk}.json" for k in ("nl", "de", "fr")} <= names
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == meta["sha256"]
    detail = json.loads((tmp_path / f"providers/{registry['nl'].pk}.json").read_text())
    assert detail == api.get(f"/api/v1/registry/providers/{registry['nl'].pk}/").json()


def test_csv_export_defuses_formulas_in_names(api, history):
    provider = history.provider(name='=HYPERLINK("http://evil.example","x")')
    history.decide(provider, name="reject")
    history.publish()
    text = b"".join(api.get("/api/v1/registry/export/?format=csv").streaming_content).decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["legal_name"] == "'" + provider.legal_name
    jsonl = b"".join(api.get("/api/v1/registry/export/?format=jsonl").streaming_content)
    assert json.loads(jsonl)["legal_name"] == provider.legal_name
