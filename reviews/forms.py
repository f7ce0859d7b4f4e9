"""HTML forms of the review pages; the services in `reviews.services` decide what is valid."""

from django import forms
from django.contrib.auth import get_user_model

from accreditation.forms import DescribedForm
from core.roles import Role

from .models import Judgement, PanelAssignment

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
