"""HTML forms of the review pages; the services in `reviews.services` decide what is valid."""

from django import forms
from django.contrib.auth import get_user_model

from accreditation.forms import DescribedForm
from core.roles import Role

from .models import Judgement, PanelAssignment, SiteVisit, SiteVisitSession

JUDGEMENT_CHOICES = [("", "— choose —"), *Judgement.choices]


class PanelAssignForm(DescribedForm):
    reviewer = forms.ModelChoiceField(
        label="Reviewer", queryset=get_user_model().objects.none(), empty_label="— choose —"
    )
    role = forms.ChoiceField(label="Role on the panel", choices=PanelAssignment.Role.choices)
    override_justification = forms.CharField(
        label="Justification for overriding a conflict of interest",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only when the system warns of a conflict of interest and you still want "
        "this reviewer: say why the conflict does not compromise the review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer"].queryset = (
            get_user_model()
            .objects.filter(groups__name=Role.REVIEWER, is_active=True)
            .order_by("username")
            .distinct()
        )
        self.fields["reviewer"].label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.get_username()})" if u.get_full_name() else u.get_username()
        )


class AcceptForm(DescribedForm):
    no_conflict = forms.BooleanField(
        label="I declare that I have no conflict of interest with this provider or case.",
        required=True,
        error_messages={"required": "Tick the declaration to accept the seat."},
    )


class DeclineForm(DescribedForm):
    reason = forms.CharField(label="Why do you decline?", widget=forms.Textarea(attrs={"rows": 3}))


class JudgementForm(forms.Form):
    """One standard's judgement; the prefix (the standard code) keeps many on one page."""

    judgement = forms.ChoiceField(label="Judgement", choices=JUDGEMENT_CHOICES)
    rationale = forms.CharField(label="Rationale", widget=forms.Textarea(attrs={"rows": 4}))


class FindingForm(JudgementForm):
    judgement = forms.ChoiceField(label="Panel's finding", choices=JUDGEMENT_CHOICES)
    recommendations = forms.CharField(
        label="Recommendations",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportRequestForm(forms.Form):
    stage = forms.ChoiceField(choices=[("draft", "Draft"), ("final", "Final")])


# Session rows the site visit form offers; empty rows are left out.
SITE_VISIT_SESSION_ROWS = 6


class SiteVisitForm(DescribedForm):
    """A site visit and up to `SITE_VISIT_SESSION_ROWS` sessions (`group_<i>`, `at_<i>`);
    `reviews.services.site_visit_plan` decides what is valid."""

    mode = forms.ChoiceField(label="Mode", choices=SiteVisit.Mode.choices)
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The same as the first day for a one-day visit.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(SITE_VISIT_SESSION_ROWS):
            self.fields[f"group_{i}"] = forms.ChoiceField(
                label=f"Session {i + 1}: with",
                choices=[("", "— none —"), *SiteVisitSession.Group.choices],
                required=False,
            )
            self.fields[f"at_{i}"] = forms.DateTimeField(
                label=f"Session {i + 1}: at (UTC)",
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
        label="Minutes of the site visit (PDF)",
        help_text="PDF only.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
