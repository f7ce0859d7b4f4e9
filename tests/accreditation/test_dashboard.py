"""The pipeline dashboard: its figures against a known history, the CSV against the page,
who may see it, and a constant number of queries however many cases there are."""

import csv
import datetime
import io
import re
import statistics

import hypothesis
import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import strategies as st

from accreditation import pipeline, selectors
from accreditation.models import Application, ApplicationTransition
from demo.scenario import decision_record
from tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from tests.web.conftest import to_screening

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=UTC)

TRANSITIONS = {
    ("draft", "submitted"): "submit",
    ("returned", "submitted"): "submit",
    ("submitted", "screening"): "start_screening",
    ("submitted", "withdrawn"): "withdraw",
    ("screening", "returned"): "return_for_completion",
    ("screening", "in_review"): "start_review",
    ("in_review", "factual_check"): "submit_draft_report",
    ("factual_check", "decision_pending"): "confirm_factual_accuracy",
    ("decision_pending", "accredited"): "accredit",
}


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def case(created, history=(), *, state=None, due_at=None):
    """An application created at `created` whose log holds `history` ((to_state, at)
    pairs, oldest first), left in its last state (or `state`)."""
    application = ApplicationFactory()
    previous = "draft"
    for to_state, when in history:
        ApplicationTransition.objects.create(
            application=application,
            transition=TRANSITIONS[(previous, to_state)],
            from_state=previous,
            to_state=to_state,
            at=when,
        )
        previous = to_state
    Application.objects.filter(pk=application.pk).update(
        created_at=created, state=state or previous, due_at=due_at
    )
    return application


@pytest.fixture
def history(coordinator):
    """A known year, with `NOW` at 15 June 2026 (the window opens on 1 July 2025)."""
    # A: still in review (that stay is not over), overdue.
    case(
        at(2026, 1, 1),
        [
            ("submitted", at(2026, 1, 3, 12)),  # draft 2.5 days
            ("screening", at(2026, 1, 4, 12)),  # submitted 1 day
            ("in_review", at(2026, 1, 10, 12)),  # screening 6 days
        ],
        due_at=NOW - datetime.timedelta(days=1),
    )
    # B: returned once, screened again; overdue by an hour.
    case(
        at(2026, 2, 1),
        [
            ("submitted", at(2026, 2, 5)),  # draft 4 days
            ("screening", at(2026, 2, 8)),  # submitted 3 days
            ("returned", at(2026, 2, 9)),  # screening 1 day
            ("submitted", at(2026, 2, 19)),  # returned 10 days
            ("screening", at(2026, 2, 20)),  # submitted 1 day
        ],
        due_at=NOW - datetime.timedelta(hours=1),
    )
    # C: begun before the window; its screening began before and ended within it.
    c = case(
        at(2025, 6, 1),
        [
            ("submitted", at(2025, 6, 20)),  # draft, ended before the window
            ("screening", at(2025, 6, 25)),  # submitted, ended before the window
            ("in_review", at(2025, 7, 5)),  # screening 10 days, ended within
            ("factual_check", at(2025, 9, 5)),  # in review 62 days
            ("decision_pending", at(2025, 9, 10)),  # factual check 5 days
            ("accredited", at(2025, 10, 10)),  # decision pending 30 days
        ],
    )
    decision_record(c, outcome="positive", decided_by=coordinator, decided_at=at(2025, 10, 10))
    # D: withdrawn two days after submitting.
    case(at(2026, 3, 1), [("submitted", at(2026, 3, 2)), ("withdrawn", at(2026, 3, 4))])
    # G: a draft with no deadline, due in the future: not overdue.
    case(at(2026, 6, 1), due_at=NOW + datetime.timedelta(days=3))
    # Decisions without a logged procedure (decision rows only).
    rejected = case(at(2025, 1, 1), state="rejected")
    decision_record(rejected, outcome="negative", decided_by=coordinator, decided_at=at(2026, 6, 1))
    conditional = case(at(2025, 1, 1), state="conditionally_accredited")
    decision_record(
        conditional,
        outcome="positive_with_conditions",
        decided_by=coordinator,
        decided_at=at(2026, 6, 10),
    )
    old = case(at(2024, 1, 1), state="accredited")
    decision_record(old, outcome="positive", decided_by=coordinator, decided_at=at(2025, 6, 30))
    late = case(at(2024, 1, 1), state="accredited")
    decision_record(late, outcome="negative", decided_by=coordinator, decided_at=NOW)


def figures_for(user, now=NOW):
    return pipeline.pipeline_figures(
        applications=selectors.applications_visible_to(user=user), now=now
    )


# --------------------------------------------------------------------------- figures


def test_window_is_the_current_month_and_the_eleven_before():
    assert pipeline.window_start(NOW) == at(2025, 7, 1)
    assert pipeline.window_start(at(2026, 1, 31, 23, 59)) == at(2025, 2, 1)
    months = pipeline.window_months(at(2025, 7, 1))
    assert months[0] == datetime.date(2025, 7, 1)
    assert months[-1] == datetime.date(2026, 6, 1)
    assert len(months) == 12


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    assert pipeline.median([1, 3, 1, 2]) == 1.5
    assert pipeline.median([4, 2.5, 1]) == 2.5
    assert pipeline.median([]) is None


def test_applications_per_state(history, coordinator):
    states = {f.state: f.value for f in figures_for(coordinator).states}
    assert states == {
        "draft": 1,
        "submitted": 0,
        "screening": 1,
        "returned": 0,
        "in_review": 1,
        "clarification_requested": 0,
        "factual_check": 0,
        "decision_pending": 0,
        "accredited": 3,
        "conditionally_accredited": 1,
        "rejected": 1,
        "appealed": 0,
        "withdrawn": 1,
    }


def test_overdue_counts_cases_past_their_due_date_per_state(history, coordinator):
    figures = figures_for(coordinator)
    assert [(f.state, f.value) for f in figures.overdue] == [("screening", 1), ("in_review", 1)]
    assert figures.overdue_total == 2


def test_median_days_per_step_from_the_transition_log(history, coordinator):
    durations = {d.state: (d.stays, d.median_days) for d in figures_for(coordinator).durations}
    # draft: A 2.5, B 4, D 1 (C's ended before the window).
    assert durations["draft"] == (3, 2.5)
    # submitted: A 1, B 3 and 1, D 2 (C's ended before the window): even, so 1.5.
    assert durations["submitted"] == (4, 1.5)
    # screening: A 6, B 1, C 10 (entered before the window, counted in full).
    assert durations["screening"] == (3, 6.0)
    assert durations["returned"] == (1, 10.0)
    assert durations["in_review"] == (1, 62.0)  # A's stay is still running
    assert durations["factual_check"] == (1, 5.0)
    assert durations["decision_pending"] == (1, 30.0)
    assert durations["accredited"] == (0, None)
    assert durations["withdrawn"] == (0, None)


def test_a_stay_that_ended_before_the_window_is_left_out(history, coordinator):
    """A year later every stay of the known history has left the window."""
    later = figures_for(coordinator, now=at(2027, 8, 1))
    assert all(d.stays == 0 for d in later.durations)


def test_decisions_by_outcome_per_month(history, coordinator):
    figures = figures_for(coordinator)
    by_month = {m.month.strftime("%Y-%m"): m.counts for m in figures.decisions}
    assert len(by_month) == 12
    assert by_month["2025-10"] == {"positive": 1, "positive_with_conditions": 0, "negative": 0}
    assert by_month["2026-06"] == {"positive": 0, "positive_with_conditions": 1, "negative": 1}
    # 30 June 2025 is before the window; a decision at `now` is not yet in it.
    assert "2025-06" not in by_month
    assert {t.state: t.value for t in figures.decision_totals} == {
        "positive": 1,
        "positive_with_conditions": 1,
        "negative": 1,
    }
    assert figures.decision_total == 3


def test_figures_follow_transitions_fired_through_the_engine(coordinator):
    provider_user = MembershipFactory().user
    provider = provider_user.providers.get()
    application = ApplicationFactory(provider=provider, course__provider=provider)
    to_screening(application, provider_user, coordinator)
    figures = figures_for(coordinator, now=timezone.now() + datetime.timedelta(seconds=1))
    assert {f.state: f.value for f in figures.states}["screening"] == 1
    durations = {d.state: d.stays for d in figures.durations}
    assert durations["draft"] == 1
    assert durations["submitted"] == 1
    assert durations["screening"] == 0  # still screening


# --------------------------------------------------------------------------- page and CSV


def page_figures(html):
    """The numbers of the page's tables, keyed like the CSV rows."""
    found = {}
    cell = re.compile(
        r'<td data-figure="(?P<figure>\w+)"(?: data-state="(?P<state>\w*)")?'
        r'(?: data-month="(?P<month>[\d-]*)")?(?: data-outcome="(?P<outcome>\w*)")?>'
        r"(?:<a [^>]*>)?(?P<value>[^<]*)"
    )
    for m in cell.finditer(html):
        value = m["value"].strip()
        key = (m["figure"], m["state"] or "", m["month"] or "", m["outcome"] or "")
        found[key] = "" if value == "–" else value
    return found


def csv_figures(content):
    rows = list(csv.reader(io.StringIO(content)))
    assert tuple(rows[0]) == pipeline.CSV_HEADER
    return {tuple(r[:4]): r[4] for r in rows[1:]}, rows


def shifted_history(coordinator):
    """The page computes at the real `now`: a small history relative to it."""
    now = timezone.now()
    case(
        now - datetime.timedelta(days=10),
        [
            ("submitted", now - datetime.timedelta(days=7)),
            ("screening", now - datetime.timedelta(days=6)),
        ],
        due_at=now - datetime.timedelta(days=1),
    )
    decided = case(now - datetime.timedelta(days=40), state="rejected")
    decision_record(
        decided,
        outcome="negative",
        decided_by=coordinator,
        decided_at=now - datetime.timedelta(minutes=5),
    )


def test_the_csv_holds_exactly_the_figures_of_the_page(coordinator):
    shifted_history(coordinator)
    client = Client()
    client.force_login(coordinator)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    download = client.get("/dashboard/pipeline.csv")
    assert download.status_code == 200
    assert download.streaming
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment;" in download["Content-Disposition"]
    content = b"".join(download.streaming_content).decode()
    from_csv, rows = csv_figures(content)
    from_page = page_figures(page.content.decode())
    assert from_page == from_csv
    assert from_csv[("applications_per_state", "screening", "", "")] == "1"
    assert from_csv[("overdue_per_state", "screening", "", "")] == "1"
    assert from_csv[("median_days_per_state", "draft", "", "")] == "3.0"
    assert from_csv[("median_days_per_state", "submitted", "", "")] == "1.0"
    month = timezone.now().strftime("%Y-%m")
    assert from_csv[("decisions_per_month", "", month, "negative")] == "1"
    # 13 states, 1 overdue state, 13 medians, 12 months x 3 outcomes, and the header.
    assert len(rows) == 1 + 13 + 1 + 13 + 36


def test_the_page_draws_accessible_charts_and_links_overdue_counts_to_the_list(coordinator):
    shifted_history(coordinator)
    client = Client()
    client.force_login(coordinator)
    html = client.get("/dashboard/").content.decode()
    assert html.count('role="img"') == 4
    for chart in ("states", "overdue", "durations", "decisions"):
        assert f'aria-labelledby="chart-{chart}-title chart-{chart}-desc"' in html
        assert f'<title id="chart-{chart}-title">' in html
    assert 'href="/applications/?state=screening&amp;overdue=on"' in html
    assert 'href="/dashboard/pipeline.csv"' in html
    assert "<script" not in html.split("</head>")[1]


def test_the_overdue_link_lists_the_cases_counted(coordinator):
    shifted_history(coordinator)
    client = Client()
    client.force_login(coordinator)
    listed = client.get("/applications/", {"state": "screening", "overdue": "on"})
    assert len(listed.context["applications"]) == 1


# --------------------------------------------------------------------------- who sees it


@pytest.mark.parametrize("roles", [["coordinator"], ["decision_body"], ["appeals_committee"]])
def test_agency_staff_see_the_dashboard_and_its_way_from_home(roles):
    client = Client()
    client.force_login(UserFactory(roles=roles))
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/dashboard/pipeline.csv").status_code == 200
    assert 'href="/dashboard/"' in client.get("/").content.decode()


def test_providers_and_reviewers_get_404_and_no_link():
    for user in (MembershipFactory().user, UserFactory(roles=["reviewer"])):
        client = Client()
        client.force_login(user)
        assert client.get("/dashboard/").status_code == 404
        assert client.get("/dashboard/pipeline.csv").status_code == 404
        assert 'href="/dashboard/"' not in client.get("/").content.decode()


def test_anonymous_is_sent_to_log_in():
    response = Client().get("/dashboard/pipeline.csv")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --------------------------------------------------------------------------- queries


def test_page_and_csv_take_a_constant_number_of_queries(coordinator, django_assert_max_num_queries):
    client = Client()
    client.force_login(coordinator)

    def count(url):
        with django_assert_max_num_queries(20) as captured:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(captured.captured_queries)

    shifted_history(coordinator)
    small = (count("/dashboard/"), count("/dashboard/pipeline.csv"))
    for _ in range(6):
        shifted_history(coordinator)
    assert (count("/dashboard/"), count("/dashboard/pipeline.csv")) == small


# --------------------------------------------------------------------------- property

STAY_STATES = ["submitted", "screening", "returned", "in_review", "factual_check"]


@hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(
    cases=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=500 * 24),  # created, hours before NOW
            st.lists(
                st.tuples(st.sampled_from(STAY_STATES), st.integers(0, 120 * 24)),
                max_size=5,
            ),  # (state entered, hours after the previous step)
        ),
        min_size=1,
        max_size=4,
    )
)
def test_medians_match_a_plain_reading_of_every_history(db, cases):
    """Whatever the histories, the SQL window reading gives the stays a plain walk
    through each application's log gives."""
    since = pipeline.window_start(NOW)
    expected = {}
    with transaction.atomic():
        for created_hours, steps in cases:
            created = NOW - datetime.timedelta(hours=created_hours)
            application = ApplicationFactory()
            Application.objects.filter(pk=application.pk).update(created_at=created)
            state, entered = "draft", created
            for to_state, hours in steps:
                left = entered + datetime.timedelta(hours=hours)
                ApplicationTransition.objects.create(
                    application=application,
                    transition="step",
                    from_state=state,
                    to_state=to_state,
                    at=left,
                )
                if since <= left < NOW:
                    expected.setdefault(state, []).append(
                        (left - entered).total_seconds() / pipeline.SECONDS_PER_DAY
                    )
                state, entered = to_state, left
        found = pipeline.median_days_per_state(Application.objects.all(), since, NOW)
        transaction.set_rollback(True)
    assert {d.state: (d.stays, d.median_days) for d in found if d.stays} == {
        state: (len(days), statistics.median(days)) for state, days in expected.items()
    }


# Attributes whose value a browser reads as numbers: a German decimal comma there
# ("12,5") would break the drawing.
GEOMETRY = re.compile(r'\s(x|y|x1|y1|x2|y2|width|height|viewBox)="([^"]*)"')


def test_the_german_dashboard_draws_german_labels_on_unlocalized_coordinates(coordinator):
    shifted_history(coordinator)
    client = Client()
    client.force_login(coordinator)
    client.cookies["mcqa_language"] = "de"
    html = client.get("/dashboard/").content.decode()
    drawings = re.findall(r'<svg [^>]*class="chart".*?</svg>', html, re.S)
    assert len(drawings) == 4
    geometry = [value for svg in drawings for _, value in GEOMETRY.findall(svg)]
    assert any("." in value for value in geometry)  # fractional bar lengths are drawn
    assert [v for v in geometry if "," in v] == []
    assert '<title id="chart-states-title">Anträge nach Status</title>' in html
    assert '<title id="chart-durations-title">Median der Tage je Schritt</title>' in html
    assert 'class="chart-value">3,0 Tage</text>' in html  # the label is German
    assert 'data-state="draft">3,0</td>' in html  # so is the table
    csv_content = b"".join(client.get("/dashboard/pipeline.csv").streaming_content).decode()
    from_csv, _ = csv_figures(csv_content)
    assert from_csv[("median_days_per_state", "draft", "", "")] == "3.0"  # the CSV is not
    assert "figure,state,month,outcome,value,stays" in csv_content
