"""The pipeline dashboard (issue 18, item 12): the agency's picture of its cases, as
server-side SVG charts on a page and the same figures as a CSV download.

Agency staff who oversee the pipeline see it: coordinators, the decision body and the
appeals committee (`selectors.sees_everything`, the people who see every case). Anyone
else signed in gets 404, as for the coordinators' other queues: the page does not exist
for them. The figures are computed by `accreditation.pipeline` over the cases the
person may see, in a constant number of queries.
"""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from . import charts, pipeline, selectors
from .models import Decision
from .web import register_section


def _overseen_applications(request):
    """The cases behind the figures; 404 for whoever does not oversee the pipeline."""
    if not selectors.sees_everything(request.user):
        raise Http404
    return selectors.applications_visible_to(user=request.user)


def _figures(request):
    """The dashboard's figures; the number per state is the one kept per state (the
    people who oversee the pipeline see every case), as on the coordinators' home."""
    return pipeline.pipeline_figures(
        applications=_overseen_applications(request),
        state_counts=selectors.application_counts_per_state(user=request.user),
    )


def _month_label(month, first):
    """A month under its bars: "Mar" ("Mär" in German), with the year under the first
    month and January."""
    return {
        "label": formats.date_format(month, "M"),
        "year": month.strftime("%Y") if first or month.month == 1 else "",
    }


def _days(median_days):
    """A median as its bar's text, in the reader's language: "2.5 days", "2,5 Tage"."""
    return _("%(days)s days") % {"days": formats.number_format(median_days, 1)}


def dashboard_context(figures):
    """The charts and tables of the page, drawn from `figures`, in the active language
    (the charts' geometry stays plain numbers; the templates draw it unlocalized)."""
    since, now = figures.since, figures.now
    period = _("from %(start)s to %(end)s (UTC)") % {
        "start": formats.date_format(since, "DATE_FORMAT"),
        "end": formats.date_format(now, "DATE_FORMAT"),
    }
    states = charts.bar_chart(
        [charts.Bar(f.label, f.value, str(f.value)) for f in figures.states],
        title=_("Applications per state"),
        desc=_(
            "One bar per state with the number of applications in it now; "
            "its table gives the same numbers."
        ),
    )
    overdue = charts.bar_chart(
        [charts.Bar(f.label, f.value, str(f.value)) for f in figures.overdue],
        title=_("Overdue applications per state"),
        desc=_(
            "Applications whose current step is past its due date, per state; "
            "its table gives the same numbers."
        ),
        colour=charts.OVERDUE_COLOUR,
    )
    durations = charts.bar_chart(
        [
            charts.Bar(d.label, d.median_days, _days(d.median_days) if d.stays else "–")
            for d in figures.durations
        ],
        title=_("Median days per step"),
        desc=_(
            "The median number of days a case spent in each state, over stays that "
            "ended %(period)s; a dash where none ended. Its table gives the same "
            "numbers with how many stays each median is taken over."
        )
        % {"period": period},
    )
    outcomes = [
        (value, label, charts.OUTCOME_COLOURS[value]) for value, label in Decision.Outcome.choices
    ]
    decisions = charts.column_chart(
        [(m.month, m.counts) for m in figures.decisions],
        outcomes,
        title=_("Decisions by outcome per month"),
        desc=_(
            "For each month %(period)s, three bars: positive, positive with conditions "
            "and negative decisions taken, each with its number; its table gives the "
            "same numbers."
        )
        % {"period": period},
    )
    for i, group in enumerate(decisions["groups"]):
        group.update(_month_label(group["label"], i == 0))
    return {
        "figures": figures,
        "period": period,
        "states_chart": states,
        "overdue_chart": overdue,
        "durations_chart": durations,
        "decisions_chart": decisions,
        "outcomes": Decision.Outcome.choices,
        "decision_totals": figures.decision_totals,
    }


@login_required
def dashboard(request):
    """The pipeline dashboard page: four charts, each with its table, and the CSV link."""
    figures = _figures(request)
    return render(request, "web/dashboard.html", dashboard_context(figures))


class _Echo:
    """A file-like object whose `write` returns the line, for streaming `csv.writer`."""

    def write(self, value):
        return value


@login_required
def dashboard_csv(request):
    """The dashboard's figures as one CSV (columns `pipeline.CSV_HEADER`), streamed."""
    figures = _figures(request)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in pipeline.csv_rows(figures)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pipeline-{figures.now:%Y-%m-%d}.csv"'
    return response


def pipeline_section(request, obj):
    """On the home page of the people who oversee the pipeline: the way to the dashboard."""
    if not selectors.sees_everything(request.user):
        return None
    return {"template": "web/_home_pipeline.html"}


register_section("home", pipeline_section)
