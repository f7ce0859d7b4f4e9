"""The figures of the coordinators' pipeline dashboard (issue 18, item 12).

Four figures, each read in one query whatever the number of cases, so the page and its
CSV cost the same on a year of data as on a day's:

- applications per state (now), from the counts kept per state when the dashboard
  shows them (`selectors.application_counts_per_state`: a row per state);
- overdue applications per state: the step the current state waits for is past its
  `due_at`, the same rule as the list's "Overdue only" filter, so the link from a count
  shows exactly the cases counted;
- median days per step over the window: a *stay* in a state runs from the transition
  that entered it to the one that left it, read from the append-only transition log
  (a draft is entered when the application is created); stays that ended within the
  window count; a stay still running does not (its length is not known yet);
- decisions by outcome per month over the window: every decision taken, negative ones
  included (ESG 2.6); a decision later annulled on appeal was still taken.

The window is the last 12 months: the current calendar month (UTC) and the 11 before it.
Every figure is over `applications`, a queryset from `applications_visible_to`, so the
dashboard can show nobody more than they may see.
"""

import datetime
import statistics
from dataclasses import dataclass

from django.db.models import Count, F, Window
from django.db.models.functions import Lead, TruncMonth
from django.utils import timezone

from .models import ApplicationState, ApplicationTransition, Decision

WINDOW_MONTHS = 12
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class StateFigure:
    state: str
    label: str
    value: int


@dataclass(frozen=True)
class StepDuration:
    """The median length in days of the stays in `state` that ended in the window."""

    state: str
    label: str
    stays: int
    median_days: float | None

    @property
    def shown(self):
        """The median as the CSV gives it: days to one decimal with a point, or ''
        (the page shows the same figure in the reader's language: "2,5" in German)."""
        return "" if self.median_days is None else f"{self.median_days:.1f}"


@dataclass(frozen=True)
class MonthDecisions:
    month: datetime.date
    counts: dict  # outcome -> number of decisions taken that month

    @property
    def total(self):
        return sum(self.counts.values())


@dataclass(frozen=True)
class Figures:
    now: datetime.datetime
    since: datetime.datetime
    states: list
    overdue: list
    durations: list
    decisions: list

    @property
    def decision_totals(self):
        """Decisions per outcome over the whole window."""
        return [
            StateFigure(value, label, sum(m.counts[value] for m in self.decisions))
            for value, label in Decision.Outcome.choices
        ]

    @property
    def decision_total(self):
        return sum(m.total for m in self.decisions)

    @property
    def overdue_total(self):
        return sum(f.value for f in self.overdue)


def window_start(now):
    """The first instant of the window: midnight UTC on the first day of the month
    eleven months before `now`'s month."""
    now = now.astimezone(datetime.UTC)
    months = now.year * 12 + now.month - 1 - (WINDOW_MONTHS - 1)
    return datetime.datetime(months // 12, months % 12 + 1, 1, tzinfo=datetime.UTC)


def window_months(since):
    """The first day of each month of the window, oldest first."""
    start = since.year * 12 + since.month - 1
    return [datetime.date((start + i) // 12, (start + i) % 12 + 1, 1) for i in range(WINDOW_MONTHS)]


def median(values):
    """The median: the middle value, or the mean of the two middle values of an even
    count; None for no values."""
    return statistics.median(values) if values else None


def applications_per_state(applications, counts=None):
    """How many applications are in each state now (every state listed, zeros too):
    `counts` ({state: n}, e.g. `selectors.application_counts_per_state`) when given,
    else counted over `applications`."""
    if counts is None:
        counts = dict(applications.order_by().values_list("state").annotate(n=Count("id")))
    return [
        StateFigure(value, label, counts.get(value, 0)) for value, label in ApplicationState.choices
    ]


def overdue_per_state(applications, now):
    """How many applications wait past their `due_at`, per state (states with none left
    out), as `/applications/?state=<state>&overdue=on` lists them."""
    counts = dict(
        applications.filter(due_at__lt=now).order_by().values_list("state").annotate(n=Count("id"))
    )
    return [
        StateFigure(value, label, counts[value])
        for value, label in ApplicationState.choices
        if counts.get(value)
    ]


def stays(applications, since, until):
    """(state, seconds) of every stay that ended in [since, until).

    A log row enters `to_state` at `at`; the application's next log row (by `at`, then
    id) leaves it. The next row is found by a window function over each application's
    whole log, and only then are the stays filtered to the window (Django puts a filter
    on a window expression outside the query that computes it), so a stay entered
    before the window and left within it counts with its full length. The one state no
    log row enters, `draft`, is entered when the application is created; it is left
    once, by the first transition. Two queries, whatever the size of the log.
    """
    ordering = [F("at").asc(), F("id").asc()]
    entered = (
        ApplicationTransition.objects.filter(application__in=applications)
        .annotate(
            left_at=Window(Lead("at"), partition_by=[F("application_id")], order_by=ordering),
            left_from=Window(
                Lead("from_state"), partition_by=[F("application_id")], order_by=ordering
            ),
        )
        .filter(left_at__gte=since, left_at__lt=until)
        .values_list("to_state", "left_from", "at", "left_at")
    )
    result = [
        (state, (left_at - at).total_seconds())
        for state, left_from, at, left_at in entered
        # A log whose next row leaves another state is not a stay (it cannot happen
        # through the engine; a hand-edited log must not skew the figure).
        if left_from == state
    ]
    drafts = ApplicationTransition.objects.filter(
        application__in=applications,
        from_state=ApplicationState.DRAFT,
        at__gte=since,
        at__lt=until,
    ).values_list("at", "application__created_at")
    result += [
        (ApplicationState.DRAFT.value, (at - created).total_seconds()) for at, created in drafts
    ]
    return result


def median_days_per_state(applications, since, until):
    """Per state, the number of stays that ended in the window and their median length
    in days (every state listed; None where no stay ended)."""
    by_state = {}
    for state, seconds in stays(applications, since, until):
        by_state.setdefault(state, []).append(seconds / SECONDS_PER_DAY)
    return [
        StepDuration(value, label, len(by_state.get(value, ())), median(by_state.get(value, ())))
        for value, label in ApplicationState.choices
    ]


def decisions_per_month(applications, since, until):
    """Decisions taken per month of the window and outcome (zeros included)."""
    rows = (
        Decision.objects.filter(
            application__in=applications, decided_at__gte=since, decided_at__lt=until
        )
        .annotate(month=TruncMonth("decided_at", tzinfo=datetime.UTC))
        .order_by()
        .values_list("month", "outcome")
        .annotate(n=Count("id"))
    )
    counts = {}
    for month, outcome, n in rows:
        key = month.date() if isinstance(month, datetime.datetime) else month
        counts[(key, outcome)] = counts.get((key, outcome), 0) + n
    return [
        MonthDecisions(month, {o: counts.get((month, o), 0) for o in Decision.Outcome.values})
        for month in window_months(since)
    ]


def pipeline_figures(*, applications, now=None, state_counts=None):
    """Every figure of the dashboard over `applications` (five queries); the number per
    state from `state_counts` when given (the counts kept per state, for whoever sees
    every case)."""
    now = now or timezone.now()
    since = window_start(now)
    return Figures(
        now=now,
        since=since,
        states=applications_per_state(applications, state_counts),
        overdue=overdue_per_state(applications, now),
        durations=median_days_per_state(applications, since, now),
        decisions=decisions_per_month(applications, since, now),
    )


CSV_HEADER = ("figure", "state", "month", "outcome", "value", "stays")


def csv_rows(figures):
    """The figures as rows under `CSV_HEADER`: one row per number on the page, with the
    columns that do not apply to a figure left empty. Medians in days, as shown."""
    yield CSV_HEADER
    for f in figures.states:
        yield ("applications_per_state", f.state, "", "", f.value, "")
    for f in figures.overdue:
        yield ("overdue_per_state", f.state, "", "", f.value, "")
    for d in figures.durations:
        yield ("median_days_per_state", d.state, "", "", d.shown, d.stays)
    for m in figures.decisions:
        for outcome, n in m.counts.items():
            yield ("decisions_per_month", "", m.month.strftime("%Y-%m"), outcome, n, "")
