"""The public pages render, filter, count and escape what providers typed."""

import pytest

from demo.scenario import ready_report
from reviews.models import Report
from tests.registry.conftest import day

pytestmark = pytest.mark.django_db
HOSTILE = '<script>alert("x")</script> & Sons'


def test_search_page_counts_and_filters(client, history):
    for n, country in enumerate(["NL", "NL", "DE"]):
        provider = history.provider(name=f"School {n}", country=country, identifier=f"s{n}.eu")
        history.decide(provider, name="reject")
    history.publish()
    page = client.get("/registry/")
    assert page.status_code == 200
    assert "3 providers found" in page.content.decode()
    page = client.get("/registry/", {"country": "NL"})
    text = page.content.decode()
    assert "2 providers found" in text and "School 2" not in text
    assert '<label for="country">' in text and "<h1>" in text


def test_search_page_shows_invalid_filter(client, history):
    page = client.get("/registry/", {"eqf_level": "12"})
    assert page.status_code == 400
    assert "eqf_level" in page.content.decode()


def test_provider_page_shows_accreditations_decisions_and_report(client, history):
    provider = history.provider(name=HOSTILE)
    course = history.course(provider, title="<b>Bold</b> course")
    application, _, _ = history.decide(provider, when=day("2025-01-10"))
    report = ready_report(application, Report.Stage.PUBLISHED)
    history.decide(provider, course=course, name="reject")
    history.publish()
    page = client.get(f"/registry/providers/{provider.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Sons" in text
    assert f"/api/v1/reports/{report.pk}/pdf/" in text and report.sha256 in text
    assert "negative" in text and "Institutional" in text
    assert 'name="viewport"' in text


def test_search_results_escape_hostile_names(client, history):
    provider = history.provider(name=HOSTILE)
    history.decide(provider, name="reject")
    history.publish()
    text = client.get("/registry/", {"q": "script"}).content.decode()
    assert "1 provider found" in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text


def test_unknown_provider_page_is_404(client, history):
    assert client.get("/registry/providers/424242/").status_code == 404
