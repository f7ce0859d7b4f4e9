"""A site visit as an iCalendar file (RFC 5545), for the panel's and the provider's calendars.

One VEVENT spans the whole visit as all-day dates (DTEND is the day after the last day,
exclusive, as RFC 5545 says for DATE values); one VEVENT per session starts at the
session's time (UTC) and lasts `SESSION_LENGTH`, since the contract gives a session a start
only. UIDs are stable per visit and session, so a calendar that imports the file again
updates its events instead of doubling them; a cancelled visit is exported with
`STATUS:CANCELLED` for the same reason.

The texts (SUMMARY, DESCRIPTION) are in the language of the request that asks for the
file, and say so (`LANGUAGE`); each is one whole sentence per visit mode and per group, so
that German can decline "mit Arbeitgebern" where English writes "with employers".
"""

import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

SESSION_LENGTH = datetime.timedelta(hours=1)
MAX_LINE_OCTETS = 75

VISIT_SUMMARY = {
    "onsite": gettext_lazy("Site visit (on site): %(provider)s, %(scope)s"),
    "online": gettext_lazy("Site visit (online): %(provider)s, %(scope)s"),
}
SESSION_SUMMARY = {
    "management": gettext_lazy("%(visit)s: session with management"),
    "staff": gettext_lazy("%(visit)s: session with staff"),
    "learners": gettext_lazy("%(visit)s: session with learners"),
    "employers": gettext_lazy("%(visit)s: session with employers"),
    "graduates": gettext_lazy("%(visit)s: session with graduates"),
    "other": gettext_lazy("%(visit)s: session with others"),
}


def escape_text(value):
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line):
    """One content line folded at 75 octets (RFC 5545 3.1): CRLF and a space start each
    continuation, and a UTF-8 character is never split."""
    out, current, size = [], [], 0
    limit = MAX_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size = [" "], 1
            limit = MAX_LINE_OCTETS
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n".join(out)


def _utc(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _day(day):
    return day.strftime("%Y%m%d")


def _uid(name):
    host = urlsplit(settings.MCQA_SITE_URL).hostname or "localhost"
    return f"{name}@{host}"


def site_visit_ics(visit, *, now=None):
    """The visit and its sessions as an iCalendar file (bytes, CRLF line ends)."""
    application = visit.application
    stamp = _utc(now or timezone.now())
    scope = application.course.title if application.course_id else _("institutional review")
    summary = VISIT_SUMMARY[visit.mode] % {
        "provider": application.provider.legal_name,
        "scope": scope,
    }
    language = f";LANGUAGE={get_language() or settings.LANGUAGE_CODE}"
    status = "CANCELLED" if visit.cancelled_at else "CONFIRMED"
    sessions = list(visit.sessions.all())
    description = "\n".join(
        [
            _("Application #%(number)s, %(agency)s.")
            % {"number": application.pk, "agency": settings.MCQA_AGENCY_NAME}
        ]
        + [f"{timezone.localtime(s.at):%Y-%m-%d %H:%M} {s.get_group_display()}" for s in sessions]
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{escape_text(settings.MCQA_AGENCY_NAME)}//Site visits//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{_uid(f'site-visit-{visit.pk}')}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{_day(visit.starts_on)}",
        f"DTEND;VALUE=DATE:{_day(visit.ends_on + datetime.timedelta(days=1))}",
        f"SUMMARY{language}:{escape_text(summary)}",
        f"DESCRIPTION{language}:{escape_text(description)}",
        f"STATUS:{status}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    for session in sessions:
        title = SESSION_SUMMARY[session.group] % {"visit": summary}
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(f'site-visit-{visit.pk}-session-{session.pk}')}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(session.at)}",
            f"DTEND:{_utc(session.at + SESSION_LENGTH)}",
            f"SUMMARY{language}:{escape_text(title)}",
            f"STATUS:{status}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
