"""HTML forms of the review pages; the services in `reviews.services` decide what is valid."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accreditation.forms import DescribedForm
from core import reference
from core.roles import Role

from . import selectors
from .models import Judgement, PanelAssignment, SiteVisit, SiteVisitSession

JUDGEMENT_CHOICES = [("", gettext_lazy("— choose —")), *Judgement.choices]


def _countries():
    # Called when a form is made, so the names are those of the reader's language.
    return [("", _("— none —")), *reference.country_choices()]


class PanelAssignForm(DescribedForm):
    reviewer = forms.ModelChoiceField(
        label=gettext_lazy("Reviewer"),
        queryset=get_user_model().objects.none(),
        empty_label=gettext_lazy("— choose —"),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role on the panel"), choices=PanelAssignment.Role.choices
    )
    override_justification = forms.CharField(
        label=gettext_lazy("Justification for overriding a conflict of interest"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Only when the system warns of a conflict of interest and you still want "
            "this reviewer: say why the conflict does not compromise the review."
        ),
    )

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        reviewers = get_user_model().objects.filter(groups__name=Role.REVIEWER, is_active=True)
        if application is not None:
            # Reviewers already invited to or sitting on this panel are not offered again.
            reviewers = reviewers.exclude(
                pk__in=PanelAssignment.objects.filter(
                    application_id=application.pk, state__in=selectors.LIVE_STATES
                ).values("reviewer_id")
            )
        self.fields["reviewer"].queryset = reviewers.order_by("username").distinct()
        self.fields["reviewer"].label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.get_username()})" if u.get_full_name() else u.get_username()
        )


class AcceptForm(DescribedForm):
    no_conflict = forms.BooleanField(
        label=gettext_lazy(
            "I declare that I have no conflict of interest with this provider or case."
        ),
        required=True,
        error_messages={"required": gettext_lazy("Tick the declaration to accept the seat.")},
    )


class DeclineForm(DescribedForm):
    reason = forms.CharField(
        label=gettext_lazy("Why do you decline?"), widget=forms.Textarea(attrs={"rows": 3})
    )


class JudgementForm(forms.Form):
    """One standard's judgement; the prefix (the standard code) keeps many on one page."""

    judgement = forms.ChoiceField(label=gettext_lazy("Judgement"), choices=JUDGEMENT_CHOICES)
    rationale = forms.CharField(
        label=gettext_lazy("Rationale"), widget=forms.Textarea(attrs={"rows": 4})
    )


class FindingForm(JudgementForm):
    judgement = forms.ChoiceField(label=gettext_lazy("Panel's finding"), choices=JUDGEMENT_CHOICES)
    recommendations = forms.CharField(
        label=gettext_lazy("Recommendations"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportRequestForm(forms.Form):
    stage = forms.ChoiceField(
        choices=[("draft", gettext_lazy("Draft")), ("final", gettext_lazy("Final"))]
    )


def _codes(text):
    return [code.strip() for code in text.replace(";", ",").split(",") if code.strip()]


class ReviewerProfileForm(DescribedForm):
    """The reviewer's own profile; `reviewer_profile_update` decides what is valid."""

    expertise = forms.MultipleChoiceField(
        label=gettext_lazy("Fields of expertise (ISCED-F 2013)"),
        required=False,
        choices=[(code, f"{code} {label}") for code, label in reference.ISCED_F_2013.items()],
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=gettext_lazy(
            "Choose every field you can judge; hold Ctrl (or ⌘) to choose several."
        ),
    )
    country = forms.ChoiceField(
        label=gettext_lazy("Country where you work"),
        required=False,
        choices=_countries,
    )
    languages = forms.CharField(
        label=gettext_lazy("Working languages"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("ISO 639-1 codes separated by commas, e.g. en, nl, de."),
    )
    is_student = forms.BooleanField(label=gettext_lazy("I am a student"), required=False)
    student_until = forms.DateField(
        label=gettext_lazy("Student status ends on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Required for a student: the end of your current enrolment."),
    )
    last_training_on = forms.DateField(
        label=gettext_lazy("Last reviewer training"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_languages(self):
        return _codes(self.cleaned_data["languages"])


# Session rows the site visit form offers; empty rows are left out.
SITE_VISIT_SESSION_ROWS = 6


class SiteVisitForm(DescribedForm):
    """A site visit and up to `SITE_VISIT_SESSION_ROWS` sessions (`group_<i>`, `at_<i>`);
    `reviews.services.site_visit_plan` decides what is valid."""

    mode = forms.ChoiceField(label=gettext_lazy("Mode"), choices=SiteVisit.Mode.choices)
    starts_on = forms.DateField(
        label=gettext_lazy("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Last day"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The same as the first day for a one-day visit."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(SITE_VISIT_SESSION_ROWS):
            self.fields[f"group_{i}"] = forms.ChoiceField(
                label=_("Session %(number)s: with") % {"number": i + 1},
                choices=[("", _("— none —")), *SiteVisitSession.Group.choices],
                required=False,
            )
            self.fields[f"at_{i}"] = forms.DateTimeField(
                label=_("Session %(number)s: at (UTC)") % {"number": i + 1},
                required=False,
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )

    def session_rows(self):
        """The form's rows as (group field, time field) pairs, for the template."""
        return [(self[f"group_{i}"], self[f"at_{i}"]) for i in range(SITE_VISIT_SESSION_ROWS)]

    def service_data(self):
        """`(data, rows)`: the service's input and, per session it got, the form row it
        came from (so that an error on `sessions[k]` is shown on that row)."""
        data = self.cleaned_data
        sessions, rows = [], []
        for i in range(SITE_VISIT_SESSION_ROWS):
            group, at = data.get(f"group_{i}"), data.get(f"at_{i}")
            if not group and at is None:
                continue
            sessions.append({"group": group or None, "at": at})
            rows.append(i)
        body = {
            "mode": data["mode"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "sessions": sessions,
        }
        return body, rows


class MinutesUploadForm(DescribedForm):
    file = forms.FileField(
        label=gettext_lazy("Minutes of the site visit (PDF)"),
        help_text=gettext_lazy("PDF only."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
