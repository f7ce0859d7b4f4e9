"""The PDF of a review report, rendered from its structured data alone.

The HTML template is filled from the data frozen on the `Report` row and rendered by
`core.pdf`, whose URL fetcher refuses every URL but inline `data:` and the project's own
report static files, so text written by providers and reviewers cannot make the renderer
read local files or call the network. The data is embedded in the PDF as `report.json`,
so a reader can check the PDF against it. The words around the data (headings, labels,
the document's metadata) are in the active language: the caller renders under the
report's language (`services.report_render`).
"""

import copy
import json

from django.template.loader import render_to_string
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

STYLESHEET = "reports/report.css"
TEMPLATE = "reports/report.html"


def render_report_pdf(data):
    """The PDF bytes of a report with `data` (and `data` embedded as report.json)."""
    from core.pdf import render_pdf, static_url

    html = render_to_string(TEMPLATE, {"r": _for_template(data)})
    title = _title(data)
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2).encode()
    return render_pdf(
        html,
        stylesheets=[static_url(STYLESHEET)],
        attachments=[("report.json", payload, "Structured data of this report (JSON)")],
        metadata={
            "title": title,
            "authors": [data["agency"]["name"]],
            "subject": _("%(stage)s on %(provider)s: %(scope)s")
            % {
                "stage": data["report"]["stage_label"],
                "provider": data["provider"]["legal_name"],
                "scope": data["scope"]["label"],
            },
            "keywords": [_("quality assurance"), _("micro-credentials"), data["framework"]["code"]],
        },
    )


def _date(value):
    if not value:
        return None
    return parse_date(value) if len(value) == 10 else parse_datetime(value)


def _for_template(data):
    """A copy of `data` with its ISO dates parsed, for the template's `date` filter."""
    view = copy.deepcopy(data)
    view["dates"] = {
        "submitted_at": _date(data["application"]["submitted_at"]),
        "prepared_at": _date(data["prepared_at"]),
        "decided_at": _date((data.get("decision") or {}).get("decided_at")),
    }
    for step in view["procedure"]:
        step["at_date"] = _date(step["at"])
    for visit in view.setdefault("site_visits", []):
        visit["starts_date"] = _date(visit["starts_on"])
        visit["ends_date"] = _date(visit["ends_on"])
        for session in visit["sessions"]:
            session["at_date"] = _date(session["at"])
    for item in view["clarifications"]:
        item["asked_date"] = _date(item["asked_at"])
        item["answered_date"] = _date(item["answered_at"])
    decision = view.get("decision")
    if decision:
        decision["decided_date"] = _date(decision["decided_at"])
        decision["valid_from_date"] = _date(decision["valid_from"])
        decision["valid_until_date"] = _date(decision["valid_until"])
        for condition in decision["conditions"]:
            condition["due"] = _date(condition["due_date"])
            condition["met"] = _date(condition["met_at"])
    return view


def _title(data):
    return _("%(agency)s: review report on %(provider)s (%(stage)s, version %(version)s)") % {
        "agency": data["agency"]["name"],
        "provider": data["provider"]["legal_name"],
        "stage": data["report"]["stage_label"],
        "version": data["report"]["version"],
    }
