"""Hostile input: every attack gets a clear 4xx naming what is wrong, and nothing is stored
or changed (the world's snapshot and the media folder are compared before and after).
"""

import io
import json
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from accreditation.models import Course, Document, Provider, ProviderIdentifier
from tests.factories import pdf_bytes

pytestmark = pytest.mark.django_db


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def upload_url(world):
    return f"/api/v1/applications/{world.application.pk}/documents/"


def post_upload(
    world, content, name="evidence.pdf", content_type="application/pdf", kind="evidence"
):
    client = world.client("provider_own")
    client.raise_request_exception = False
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=content_type)}
    return client.post(upload_url(world), data, format="multipart")


# --------------------------------------------------------------------------- hostile files


def _pdf_with(modify):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    modify(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _js_action(code):
    return DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject(code),
        }
    )


def pdf_with_names_javascript():
    """Document-level JavaScript in the catalog's /Names tree (runs on open)."""

    def modify(writer):
        tree = DictionaryObject(
            {
                NameObject("/Names"): ArrayObject(
                    [TextStringObject("init"), writer._add_object(_js_action("app.alert(1);"))]
                )
            }
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {NameObject("/JavaScript"): writer._add_object(tree)}
        )

    return _pdf_with(modify)


def pdf_with_open_action_javascript():
    def modify(writer):
        action = _js_action("this.exportDataObject({cName: 'x'});")
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)

    return _pdf_with(modify)


def pdf_with_annotation_javascript():
    def modify(writer):
        action = _js_action("app.launchURL('http://evil.example');")
        annotation = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/A"): action,
            }
        )
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])

    return _pdf_with(modify)


def encrypted_pdf():
    return _pdf_with(lambda w: w.encrypt("secret"))


def zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bin", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


HOSTILE_FILES = {
    "png-named-pdf": (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "scan.pdf", 415),
    "windows-exe-renamed": (
        b"MZ\x90\x00" + b"\0" * 500 + b"This program cannot be run",
        "cv.pdf",
        415,
    ),
    "elf-renamed": (b"\x7fELF\x02\x01\x01" + b"\0" * 500, "report.pdf", 415),
    "shell-script": (b"#!/bin/sh\nrm -rf /\n", "evidence.pdf", 415),
    "html-page": (b"<html><script>alert(1)</script></html>", "evidence.pdf", 415),
    "zip-bomb": (zip_bomb(), "evidence.pdf", 415),
    "pdf-magic-then-garbage": (b"%PDF-1.7\n" + b"\xff" * 300, "evidence.pdf", 415),
    "pdf-javascript-names": (pdf_with_names_javascript(), "evidence.pdf", 415),
    "pdf-javascript-openaction": (pdf_with_open_action_javascript(), "evidence.pdf", 415),
    "pdf-javascript-annotation": (pdf_with_annotation_javascript(), "evidence.pdf", 415),
    "pdf-encrypted": (encrypted_pdf(), "evidence.pdf", 415),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILES))
def test_hostile_upload_is_refused_and_nothing_is_stored(world, case):
    content, name, expected = HOSTILE_FILES[case]
    before, files = world.snapshot(), media_files()
    response = post_upload(world, content, name=name)
    assert response.status_code == expected, response.content
    assert response.json()["detail"]
    assert world.snapshot() == before
    assert media_files() == files


def test_empty_upload_is_refused(world):
    before = world.snapshot()
    response = post_upload(world, b"")
    assert response.status_code in (400, 415)
    assert "empty" in json.dumps(response.json()).lower() or "file" in response.json()
    assert world.snapshot() == before


def test_oversized_upload_is_413_and_nothing_is_stored(world, settings):
    settings.MCQA_UPLOAD_MAX_BYTES = 4096
    before, files = world.snapshot(), media_files()
    response = post_upload(world, pdf_bytes() + b"%" + b"x" * 8192)
    assert response.status_code == 413
    assert response.json().get("code") == "too_large"
    assert world.snapshot() == before
    assert media_files() == files


def test_upload_without_file_or_with_unknown_kind_names_the_field(world):
    client = world.client("provider_own")
    before = world.snapshot()
    missing = client.post(upload_url(world), {"kind": "evidence"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()
    bad_kind = post_upload(world, pdf_bytes(), kind="malware")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    assert world.snapshot() == before


def _compressed_zeros(megabytes):
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(megabytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def pdf_decompression_bomb(megabytes=200):
    """A real one-page PDF whose content stream inflates to `megabytes` MB."""

    def modify(writer):
        stream = StreamObject()
        stream._data = _compressed_zeros(megabytes)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)

    return _pdf_with(modify)


def test_pdf_decompression_bomb_is_handled_in_bounded_memory(world):
    """The upload check parses the PDF's structure but never inflates its content: a
    200 MB bomb costs a few MB (stored whole with its checksum, or refused)."""
    bomb = pdf_decompression_bomb()
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        response = post_upload(world, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code in (201, 415), response.content
    assert peak < 40 * 1024 * 1024, f"upload check used {peak / 1e6:.0f} MB"
    if response.status_code == 201:
        document = Document.objects.get(pk=response.json()["id"])
        assert document.size == len(bomb)
        assert document.file.read() == bomb


def _raw_multipart(filename, content, kind="evidence"):
    boundary = "----mcqa-hostile-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="kind"\r\n\r\n'
            f"{kind}\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    "filename",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\system32\\evil.pdf",
        "/etc/cron.d/evil.pdf",
        "evil\x00.pdf",
        "<script>alert(1)</script>.pdf",
    ],
    ids=["dotdot", "backslashes", "absolute", "nul-byte", "html"],
)
def test_path_traversal_in_the_file_name_stays_metadata(world, filename):
    """The stored name is random under documents/<application>/; the uploaded name is kept
    as display metadata only, reduced to its last part."""
    body, content_type = _raw_multipart(filename, pdf_bytes())
    client = world.client("provider_own")
    response = client.generic("POST", upload_url(world), body, content_type=content_type)
    assert response.status_code == 201, response.content
    document = Document.objects.get(pk=response.json()["id"])
    stored = Path(document.file.path).resolve()
    media = Path(settings.MEDIA_ROOT).resolve()
    assert stored.is_relative_to(media / "documents" / str(world.application.pk))
    assert stored.name != Path(filename).name
    assert "/" not in document.display_name and "\\" not in document.display_name
    assert ".." not in document.display_name.replace("...", "")
    assert "\x00" not in document.original_name


def test_path_traversal_through_the_service_directly(world):
    """Even a caller that bypasses the multipart parser's own name cleaning cannot steer
    where the file goes."""
    from accreditation.services import document_upload

    upload = SimpleUploadedFile("x.pdf", pdf_bytes(), content_type="application/pdf")
    upload.name = "../../../../tmp/owned.pdf"
    document = document_upload(
        application=world.application,
        actor=world.user("provider_own"),
        kind="evidence",
        uploaded_file=upload,
    )
    assert document.original_name == "owned.pdf"
    assert Path(document.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not Path("/tmp/owned.pdf").exists()


# --------------------------------------------------------------------------- hostile JSON


def _deep(levels):
    return "[" * levels + "]" * levels


JSON_TARGETS = [
    ("PUT", "/api/v1/applications/{app}/self-assessments/quality/", "provider_own"),
    ("POST", "/api/v1/applications/{app}/transitions/submit/", "provider_own"),
    ("POST", "/api/v1/courses/", "provider_own"),
    ("PATCH", "/api/v1/providers/{provider}/", "provider_own"),
    ("POST", "/api/v1/applications/", "provider_own"),
    ("POST", "/api/v1/applications/{app}/panel/", "coordinator"),
    ("PUT", "/api/v1/applications/{app}/findings/quality/", "panel_chair"),
    ("POST", "/api/v1/applications/{app}/reports/", "coordinator"),
]


def _send_raw(world, role, method, path, body):
    client = world.client(role)
    client.raise_request_exception = False
    path = path.format(app=world.application.pk, provider=world.application.provider_id)
    return client.generic(method, path, body, content_type="application/json")


@pytest.mark.parametrize(("method", "path", "role"), JSON_TARGETS)
@pytest.mark.parametrize(
    "body",
    [
        _deep(50_000),
        '{"narrative": ' + _deep(2_000) + "}",
        '{"comment": ' + _deep(100) + "}",
    ],
    ids=["array-50000-deep", "object-2000-deep", "100-deep"],
)
def test_deeply_nested_json_is_400_not_500(world, method, path, role, body):
    before = world.snapshot()
    response = _send_raw(world, role, method, path, body)
    assert response.status_code == 400, response.content[:200]
    assert "nested too deeply" in response.json()["detail"]
    assert world.snapshot() == before


@pytest.mark.parametrize(("method", "path", "role"), JSON_TARGETS)
def test_huge_json_body_is_413(world, method, path, role):
    before = world.snapshot()
    body = json.dumps({"narrative": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = _send_raw(world, role, method, path, body)
    assert response.status_code == 413, response.content[:200]
    assert "limit" in response.json()["detail"]
    assert world.snapshot() == before


@pytest.mark.parametrize(("method", "path", "role"), JSON_TARGETS)
def test_malformed_json_is_400(world, method, path, role):
    before = world.snapshot()
    response = _send_raw(world, role, method, path, '{"comment": "unterminated')
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert world.snapshot() == before


# --------------------------------------------------------------------------- field values


COURSE = {
    "title": "Data Stewardship",
    "learning_outcomes": ["Write a data management plan"],
    "workload_ects": "3.0",
    "eqf_level": 6,
    "isced_f": "0613",
    "assessment_type": "Project",
    "participation_form": "online",
    "quality_assurance": "Internal QA",
    "languages": ["en"],
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("workload_ects", "-5"),
        ("workload_ects", "0"),
        ("workload_ects", "1e400"),
        ("workload_ects", "NaN"),
        ("workload_ects", "Infinity"),
        ("eqf_level", 0),
        ("eqf_level", 9),
        ("eqf_level", -1),
        ("eqf_level", "6; DROP TABLE accreditation_course"),
        ("qf_ehea_cycle", "fourth"),
        ("isced_f", "1234"),
        ("isced_f", "06'13"),
        ("participation_form", "telepathy"),
        ("languages", ["en", "xx"]),
        ("languages", "en"),
        ("learning_outcomes", []),
        ("learning_outcomes", [""]),
        ("learning_outcomes", [{"$gt": ""}]),
        ("title", ""),
        ("title", "x" * 301),
        ("provider", 999_999),
        ("provider", "1 OR 1=1"),
    ],
)
def test_bad_course_values_are_400_naming_the_field(world, field, value):
    before = world.snapshot()
    courses = Course.objects.count()
    body = {**COURSE, "provider": world.application.provider_id, field: value}
    response = world.client("provider_own").post("/api/v1/courses/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert Course.objects.count() == courses
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("workload_ects", "-1"), ("eqf_level", 0), ("eqf_level", 9), ("isced_f", "abcd")],
)
def test_bad_course_changes_are_400_and_change_nothing(world, field, value):
    course = world.application.course
    before = world.snapshot()
    response = world.client("provider_own").patch(
        f"/api/v1/courses/{course.pk}/", {field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identifiers": [{"scheme": "duns", "value": "123"}]}, "identifiers"),
        ({"identifiers": [{"scheme": "schac", "value": ""}]}, "identifiers"),
        ({"identifiers": [{"scheme": "schac", "value": "b.example.org"}]}, "identifiers"),
        ({"identifiers": "schac:x"}, "identifiers"),
        ({"country": "XX"}, "country"),
        ({"country": "Netherlands"}, "country"),
        ({"type": "cartel"}, "type"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "file:///etc/passwd"}, "website"),
        ({"legal_name": ""}, "legal_name"),
    ],
    ids=[
        "unknown-scheme",
        "empty-value",
        "someone-elses-identifier",
        "not-a-list",
        "unknown-country",
        "country-name",
        "unknown-type",
        "javascript-url",
        "file-url",
        "empty-name",
    ],
)
def test_bad_provider_values_are_400_naming_the_field(world, body, field):
    provider = world.application.provider
    before = world.snapshot()
    identifiers = list(ProviderIdentifier.objects.order_by("pk").values_list())
    response = world.client("provider_own").patch(
        f"/api/v1/providers/{provider.pk}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert world.snapshot() == before
    assert list(ProviderIdentifier.objects.order_by("pk").values_list()) == identifiers


def test_new_provider_with_unknown_identifier_scheme_is_not_created(world):
    providers = Provider.objects.count()
    response = world.client("provider_other").post(
        "/api/v1/providers/",
        {
            "legal_name": "Shell Company",
            "country": "NL",
            "type": "company",
            "identifiers": [{"scheme": "bitcoin", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "identifiers" in response.json()
    assert Provider.objects.count() == providers


@pytest.mark.parametrize(
    ("name", "setup", "role", "body", "code"),
    [
        (
            "accredit",
            "decision_pending",
            "decision_body",
            {"valid_until": "2031-02-30"},
            "invalid_field:valid_until",
        ),
        (
            "accredit",
            "decision_pending",
            "decision_body",
            {"valid_until": "yesterday"},
            "invalid_field:valid_until",
        ),
        (
            "accredit",
            "decision_pending",
            "decision_body",
            {"valid_until": "2001-01-01"},
            "invalid_field:valid_until",
        ),
        (
            "accredit_with_conditions",
            "decision_pending",
            "decision_body",
            {"conditions": [{"text": "Fix it", "due_date": "2031-13-01"}]},
            "missing_field:conditions[0].due_date",
        ),
        (
            "accredit_with_conditions",
            "decision_pending",
            "decision_body",
            {"conditions": "fix everything"},
            "missing_field:conditions",
        ),
        (
            "accredit_with_conditions",
            "decision_pending",
            "decision_body",
            {"conditions": [{"text": "", "due_date": "2031-01-01"}]},
            "missing_field:conditions[0].text",
        ),
        (
            "reject",
            "decision_pending",
            "decision_body",
            {"rationale": "   "},
            "missing_field:rationale",
        ),
        (
            "return_for_completion",
            "screening",
            "coordinator",
            {"comment": ["not", "text"]},
            "missing_field:comment",
        ),
        ("appeal", "rejected", "provider_own", {"grounds": {"$ne": None}}, "missing_field:grounds"),
    ],
)
def test_bad_transition_fields_are_400_listing_the_unmet_item(world, name, setup, role, body, code):
    world.prepare(setup)
    before = world.snapshot()
    response = world.client(role).post(
        f"/api/v1/applications/{world.application.pk}/transitions/{name}/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert code in [item["code"] for item in response.json()["unmet"]], response.json()
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("role", "path", "body", "expected", "field"),
    [
        (
            "provider_own",
            "/api/v1/applications/{app}/self-assessments/9.99/",
            {"narrative": "x"},
            404,
            None,
        ),
        (
            "provider_own",
            "/api/v1/applications/{app}/self-assessments/1.1/",
            {"narrative": "ESG standard in an EU-principles review"},
            404,
            None,
        ),
        (
            "provider_own",
            "/api/v1/applications/{app}/self-assessments/quality/",
            {"narrative": "x", "evidence": [999999]},
            400,
            "evidence",
        ),
        (
            "provider_own",
            "/api/v1/applications/{app}/self-assessments/quality/",
            {"narrative": "x", "evidence": ["{other_doc}"]},
            400,
            "evidence",
        ),
        (
            "panel_chair",
            "/api/v1/applications/{app}/findings/quality/",
            {"judgement": "excellent", "rationale": "x"},
            400,
            "judgement",
        ),
        (
            "panel_chair",
            "/api/v1/applications/{app}/findings/9.99/",
            {"judgement": "compliant", "rationale": "x"},
            404,
            None,
        ),
        (
            "reviewer_on",
            "/api/v1/assignments/{assignment}/judgements/quality/",
            {"judgement": "COMPLIANT", "rationale": "x"},
            400,
            "judgement",
        ),
        (
            "reviewer_on",
            "/api/v1/assignments/{assignment}/judgements/nope/",
            {"judgement": "compliant", "rationale": "x"},
            404,
            None,
        ),
        (
            "coordinator",
            "/api/v1/applications/{app}/panel/",
            {"reviewer": "nobody-of-that-name", "role": "member"},
            400,
            "reviewer",
        ),
        (
            "coordinator",
            "/api/v1/applications/{app}/panel/",
            {"reviewer": "reviewer-off", "role": "king"},
            400,
            "role",
        ),
        (
            "coordinator",
            "/api/v1/applications/{app}/reports/",
            {"stage": "published"},
            400,
            "stage",
        ),
        (
            "provider_own",
            "/api/v1/applications/",
            {
                "kind": "course",
                "provider": "{provider}",
                "course": "{course2}",
                "framework": "iso-9001",
            },
            400,
            "framework",
        ),
        (
            "provider_own",
            "/api/v1/applications/",
            {"kind": "franchise", "provider": "{provider}"},
            400,
            "kind",
        ),
    ],
    ids=[
        "unknown-standard",
        "standard-of-another-framework",
        "evidence-that-does-not-exist",
        "evidence-of-another-provider",
        "judgement-off-scale",
        "finding-unknown-standard",
        "judgement-wrong-case",
        "judgement-unknown-standard",
        "unknown-reviewer",
        "unknown-panel-role",
        "report-stage-not-requestable",
        "unknown-framework",
        "unknown-kind",
    ],
)
def test_unknown_references_are_refused(world, role, path, body, expected, field):
    world.prepare(
        "screening" if "panel" in path else "in_review" if role != "provider_own" else "draft"
    )
    other_doc = Document.objects.create(
        application=world.other_application,
        kind="evidence",
        file=world.document.file.name,
        original_name="b.pdf",
        sha256=world.document.sha256,
        size=world.document.size,
        uploaded_by=world.user("provider_other"),
    )
    values = {
        "app": world.application.pk,
        "assignment": world.assignment.pk,
        "provider": world.application.provider_id,
        "course2": world.application.provider.courses.exclude(pk=world.application.course_id)
        .get()
        .pk,
        "other_doc": other_doc.pk,
    }

    def fill(value):
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        return value

    before = world.snapshot()
    method = (
        "put"
        if "/self-assessments/" in path or "/findings/" in path or "/judgements/" in path
        else "post"
    )
    response = getattr(world.client(role), method)(path.format(**values), fill(body), format="json")
    assert response.status_code == expected, response.content
    if field:
        assert field in response.json(), response.json()
    assert world.snapshot() == before


# --------------------------------------------------------------------------- registry queries

INJECTIONS = [
    "' OR 1=1 --",
    "'; DROP TABLE accreditation_provider; --",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "a%' UNION SELECT username, password FROM auth_user --",
    '{"$ne": null}',
    "a\tb",
]


@pytest.mark.parametrize("q", INJECTIONS)
def test_registry_search_treats_injection_as_plain_text(world, api, q):
    world.prepare("accredited")
    response = api.get("/api/v1/registry/providers/", {"q": q})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["results"] == [], f"{q!r} matched providers"
    else:
        assert "q" in response.json()
    assert Provider.objects.count() == 2


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("country", "NL' OR '1'='1"),
        ("status", "active;DROP TABLE x"),
        ("status", "__all__"),
        ("eqf_level", "1 OR 1=1"),
        ("eqf_level", "9"),
        ("eqf_level", "0"),
        ("isced_f", "%"),
        ("isced_f", "06' --"),
    ],
)
def test_registry_filters_refuse_what_is_not_a_value(world, api, param, value):
    world.prepare("accredited")
    response = api.get("/api/v1/registry/providers/", {param: value})
    assert response.status_code == 400, response.content
    assert param in response.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"identifier": "bitcoin:1Boat"}, "identifier"),
        ({"identifier": "schac"}, "identifier"),
        ({"identifier": "schac:a.example.org", "at": "2026-02-30"}, "at"),
        ({"identifier": "schac:a.example.org", "at": "tomorrow"}, "at"),
        ({"identifier": "schac:a.example.org", "course": "-1"}, "course"),
        ({"identifier": "schac:a.example.org", "course": "1 OR 1=1"}, "course"),
    ],
)
def test_registry_verify_refuses_malformed_parameters(world, api, params, field):
    world.prepare("accredited")
    response = api.get("/api/v1/registry/verify/", params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_registry_verify_injection_in_the_value_is_just_an_unknown_identifier(world, api):
    world.prepare("accredited")
    response = api.get("/api/v1/registry/verify/", {"identifier": "schac:' OR '1'='1"})
    assert response.status_code == 200
    assert response.json()["trusted"] is False
    assert response.json()["status"] == "none"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/registry/changes/", {"after": "-1"}, "after"),
        ("/api/v1/registry/changes/", {"after": "0 OR 1=1"}, "after"),
        ("/api/v1/registry/export/", {"format": "../../settings"}, "format"),
    ],
)
def test_registry_feeds_refuse_malformed_parameters(world, api, path, params, field):
    response = api.get(path, params)
    assert response.status_code == 400
    assert field in response.json()


def test_workflow_list_filters_do_not_widen_what_a_provider_sees(world):
    client = world.client("provider_other")
    for params in (
        {"provider": world.application.provider_id},
        {"state": "draft' OR '1'='1"},
        {"provider__in": f"{world.application.provider_id}"},
        {"id": world.application.pk},
    ):
        response = client.get("/api/v1/applications/", params)
        assert response.status_code in (200, 400)
        if response.status_code == 200:
            ids = [row["id"] for row in response.json()["results"]]
            assert world.application.pk not in ids, params


# --------------------------------------------------------------------------- NUL bytes
# PostgreSQL text cannot hold NUL (0x00): a NUL that reaches the database is a 500 there
# (and silently stored on SQLite). Every text input must refuse it as a 400.

NUL_WRITES = [
    (
        "provider_own",
        "post",
        "/api/v1/courses/",
        {**COURSE, "title": "Data\x00Stewardship"},
        "title",
    ),
    (
        "provider_own",
        "patch",
        "/api/v1/providers/{provider}/",
        {"legal_name": "ACME\x00"},
        "legal_name",
    ),
    (
        "provider_own",
        "put",
        "/api/v1/applications/{app}/self-assessments/quality/",
        {"narrative": "We\x00do", "evidence": []},
        "narrative",
    ),
    (
        "provider_own",
        "post",
        "/api/v1/complaints/",
        {"application": "{app}", "text": "bad\x00text"},
        "text",
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "field"),
    NUL_WRITES,
    ids=["course-title", "provider-name", "narrative", "complaint"],
)
def test_nul_bytes_in_text_are_400_naming_the_field(world, role, method, path, body, field):
    values = {"app": world.application.pk, "provider": world.application.provider_id}
    body = {
        k: (values[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
        for k, v in body.items()
    }
    if path == "/api/v1/courses/":
        body["provider"] = world.application.provider_id
    before = world.snapshot()
    client = world.client(role)
    client.raise_request_exception = False
    response = getattr(client, method)(path.format(**values), body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert field in response.json(), response.json()
    assert world.snapshot() == before


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/api/v1/registry/providers/", {"q": "a\x00b"}, "q"),
        ("/api/v1/registry/verify/", {"identifier": "schac:a\x00b"}, "identifier"),
    ],
)
def test_nul_bytes_in_registry_queries_are_400(world, api, path, params, field):
    api.raise_request_exception = False
    response = api.get(path, params)
    assert response.status_code == 400, response.content[:300]
    assert field in response.json()
