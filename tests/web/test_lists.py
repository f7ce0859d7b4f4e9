"""Lists at scale (issue 18.9): every staff list is paged with its true count, every home
queue is bounded with a link to the whole queue, the queries of a page do not grow with
the table, and the sorts read an index instead of sorting the table."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accreditation.models import Application
from tests.factories import ProviderFactory, framework

pytestmark = pytest.mark.django_db

PAGE = 3
QUEUE = 2


@pytest.fixture(autouse=True)
def _small_pages(settings):
    settings.MCQA_LIST_PAGE_SIZE = PAGE
    settings.MCQA_HOME_QUEUE_SIZE = QUEUE


def cases(count, state, *, due_in_days=10, provider=None):
    """`count` institutional cases in `state`, due in `due_in_days` (negative: overdue),
    inserted in one statement like the benchmark's."""
    provider = provider or ProviderFactory()
    esg = framework("esg-2015-part1")
    now = timezone.now()
    return Application.objects.bulk_create(
        [
            Application(
                kind=Application.Kind.PROVIDER,
                provider=provider,
                framework=esg,
                state=state,
                due_at=now + datetime.timedelta(days=due_in_days, minutes=i),
            )
            for i in range(count)
        ]
    )


def case_links(html):
    return re.findall(r'href="/applications/(\d+)/"', html)


# --------------------------------------------------------------------------- paging


def test_application_list_shows_the_true_count_and_pages_on(as_user, coordinator):
    made = cases(7, "submitted")
    client = as_user(coordinator)
    first = client.get(reverse("application-list")).content.decode()
    assert "7 applications" in first
    assert case_links(first) == [str(a.pk) for a in made[:PAGE]]
    assert 'href="?page=2" rel="next"' in first
    second = client.get(reverse("application-list"), {"page": 2}).content.decode()
    assert case_links(second) == [str(a.pk) for a in made[PAGE : 2 * PAGE]]
    assert "Page 2 of 3" in second
    last = client.get(reverse("application-list"), {"page": 3}).content.decode()
    assert case_links(last) == [str(made[-1].pk)]
    assert 'rel="next"' not in last


def test_page_links_keep_the_filter(as_user, coordinator):
    cases(4, "decision_pending")
    cases(5, "draft")
    html = as_user(coordinator).get(reverse("application-list"), {"state": "draft"})
    html = html.content.decode()
    assert "5 applications" in html
    assert 'href="?state=draft&amp;page=2" rel="next"' in html


@pytest.mark.parametrize("page", ["9", "0", "two"])
def test_a_page_that_is_not_one_is_a_400_naming_it(as_user, coordinator, page):
    cases(4, "draft")
    response = as_user(coordinator).get(reverse("application-list"), {"page": page})
    assert response.status_code == 400
    assert 'data-code="invalid:page"' in response.content.decode()


def test_an_invalid_filter_is_a_400_naming_the_field(as_user, coordinator):
    cases(2, "draft")
    response = as_user(coordinator).get(reverse("application-list"), {"state": "nonsense"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_state_errors"' in html
    assert case_links(html) == []


def test_waiting_for_lists_the_whole_queue(as_user, coordinator):
    queued = cases(2, "submitted") + cases(2, "screening") + cases(2, "in_review")
    cases(3, "draft")
    client = as_user(coordinator)
    seen = []
    for page in (1, 2):
        response = client.get(
            reverse("application-list"), {"waiting_for": "coordinator", "page": page}
        )
        seen += case_links(response.content.decode())
    assert sorted(seen) == sorted(str(a.pk) for a in queued)


def test_deadlines_count_every_overdue_case_beyond_the_page(as_user, coordinator):
    late = cases(8, "in_review", due_in_days=-5)
    cases(4, "screening", due_in_days=5)
    cases(3, "accredited", due_in_days=-5)  # decided: no deadline of the agency's
    client = as_user(coordinator)
    html = client.get(reverse("deadlines")).content.decode()
    assert "Overdue (8)" in html
    assert "Coming up (4)" in html
    assert 'href="?overdue_page=2" rel="next"' in html
    html = client.get(reverse("deadlines"), {"overdue_page": 3}).content.decode()
    assert str(late[-1].pk) in case_links(html)
    assert "Page 3 of 3" in html
    bad = client.get(reverse("deadlines"), {"upcoming_page": "3"})
    assert bad.status_code == 400
    assert 'data-code="invalid:upcoming_page"' in bad.content.decode()


def test_course_list_pages_by_title_with_the_true_count(as_user, coordinator):
    from tests.factories import CourseFactory

    provider = ProviderFactory()
    for title in ("Delta", "Alpha", "Echo", "Charlie", "Bravo"):
        CourseFactory(provider=provider, title=title)
    client = as_user(coordinator)
    first = client.get(reverse("course-list")).content.decode()
    assert "5 courses" in first
    assert re.findall(r'/">(\w+)</a></td>', first) == ["Alpha", "Bravo", "Charlie"]
    second = client.get(reverse("course-list"), {"page": 2}).content.decode()
    assert re.findall(r'/">(\w+)</a></td>', second) == ["Delta", "Echo"]
    assert client.get(reverse("course-list"), {"page": 3}).status_code == 400


def test_change_request_queue_is_paged_with_the_true_count(as_user, coordinator):
    from accreditation.models import ProviderChangeRequest
    from tests.factories import UserFactory

    asker = UserFactory(username="asker")
    made = ProviderChangeRequest.objects.bulk_create(
        [
            ProviderChangeRequest(
                provider=ProviderFactory(), legal_name=f"New name {i}", requested_by=asker
            )
            for i in range(5)
        ]
    )
    client = as_user(coordinator)
    html = client.get(reverse("change-request-queue")).content.decode()
    assert "Waiting for a decision (5)" in html
    assert html.count("Approve…") == PAGE
    html = client.get(reverse("change-request-queue"), {"page": 2}).content.decode()
    assert html.count("Approve…") == 2
    assert f"/change-requests/{made[-1].pk}/approve/" in html


# --------------------------------------------------------------------------- home queues


def test_decider_home_is_bounded_with_the_true_count(as_user, decider):
    waiting = cases(5, "decision_pending")
    cases(4, "appealed")
    html = as_user(decider).get("/").content.decode()
    decision_part = html.split('id="h-decide"')[1].split('id="h-appeal"')[0]
    assert case_links(decision_part) == [str(a.pk) for a in waiting[:QUEUE]]
    assert "Show all 5" in decision_part
    assert "?waiting_for=decision_body" in decision_part
    appeal_part = html.split('id="h-appeal"')[1]
    assert len(case_links(appeal_part)) == QUEUE
    assert "Show all 4" in appeal_part
    assert "?waiting_for=appeals_committee" in appeal_part


def test_a_short_queue_has_no_show_all_link(as_user, decider):
    cases(QUEUE, "decision_pending")
    html = as_user(decider).get("/").content.decode()
    assert "Show all" not in html


def test_coordinator_home_queue_is_bounded(as_user, coordinator):
    cases(3, "submitted")
    cases(3, "in_review")
    html = as_user(coordinator).get("/").content.decode()
    part = html.split("Waiting for the coordinator</h3>")[1]
    assert len(case_links(part)) == QUEUE
    assert "Show all 6" in part and "?waiting_for=coordinator" in part


def test_provider_home_is_bounded(as_user, provider_user):
    provider = provider_user.providers.get()
    cases(4, "draft", provider=provider)
    html = as_user(provider_user).get("/").content.decode()
    assert len(case_links(html)) == QUEUE
    assert "Show all 4" in html


# --------------------------------------------------------------------------- queries

LISTS = [
    ("coordinator", "/applications/"),
    ("coordinator", "/applications/?waiting_for=coordinator&page=2"),
    ("coordinator", "/applications/?state=in_review&overdue=on"),
    ("coordinator", "/"),
    ("coordinator", "/deadlines/"),
    ("decider", "/"),
    ("decider", "/applications/?waiting_for=decision_body"),
    ("appeals_member", "/"),
    ("coordinator", "/courses/?page=2"),
]


def _fill(per_state, provider):
    from accreditation.models import Course

    for state in ("submitted", "in_review", "decision_pending", "appealed"):
        cases(per_state, state, provider=provider)
        cases(per_state, state, due_in_days=-3, provider=provider)
    Course.objects.bulk_create(
        [Course(provider=provider, title=f"Course {i}") for i in range(per_state * 2)]
    )


@pytest.mark.parametrize(("who", "url"), LISTS)
def test_every_staff_list_costs_the_same_at_two_sizes(
    request, as_user, django_assert_max_num_queries, who, url
):
    client = as_user(request.getfixturevalue(who))
    provider = ProviderFactory()
    _fill(4, provider)
    client.get(url)  # session and roles warm, as for any later page
    with django_assert_max_num_queries(14) as small:
        assert client.get(url).status_code == 200
    _fill(40, provider)
    with django_assert_max_num_queries(14) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --------------------------------------------------------------------------- indexes


def _plan(sql):
    """The plan of `sql` as one line: SQLite's EXPLAIN QUERY PLAN; on PostgreSQL EXPLAIN
    with sorting priced out (`enable_sort`, `enable_seqscan` off), so a tiny test table
    still shows whether an index can deliver the order (a Sort node is left only when
    none can)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return " | ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = " | ".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_sort")
        cursor.execute("RESET enable_seqscan")
        return plan


def _plans(client, url):
    """The plan of each ordered read of applications the page runs."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return {
        q["sql"]: _plan(q["sql"])
        for q in captured.captured_queries
        if re.search(r'FROM "accreditation_(application|course)"', q["sql"])
        and "ORDER BY" in q["sql"]
    }


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("coordinator", "/applications/"),
        ("coordinator", "/applications/?state=decision_pending"),
        ("coordinator", "/applications/?overdue=on"),
        ("coordinator", "/applications/?kind=provider"),
        ("coordinator", "/applications/?waiting_for=coordinator"),
        ("coordinator", "/deadlines/"),
        ("coordinator", "/"),
        ("decider", "/"),
        ("coordinator", "/api/v1/applications/"),
        ("coordinator", "/api/v1/applications/?state=in_review"),
        ("coordinator", "/courses/"),
    ],
)
def test_list_sorts_read_an_index(request, as_user, who, url):
    """No list sorts the table (SQLite: `USE TEMP B-TREE FOR ORDER BY`; PostgreSQL: a
    Sort node): each reads one of the application indexes in order. The plans at
    100,000 cases are printed by `make bench` (bench/lists.py)."""
    user = request.getfixturevalue(who)
    _fill(3, ProviderFactory())
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    if url.startswith("/api/"):
        from tests.conftest import client_for

        client = client_for(user)
    else:
        client = as_user(user)
    plans = _plans(client, url)
    assert plans, "the page read no ordered list of applications"
    for sql, plan in plans.items():
        assert "TEMP B-TREE FOR ORDER BY" not in plan, (url, plan, sql)
        assert not re.search(r"(^|> |\| )Sort ", plan), (url, plan, sql)
        assert re.search(r"index( scan( backward)? using)? (application|course)_", plan.lower()), (
            url,
            plan,
            sql,
        )
