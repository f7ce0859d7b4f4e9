"""HTML forms of the accreditation pages.

Forms only parse what a browser sends into the shape the services take (the same shape as
the API's JSON); the services decide what is valid and their `ValidationError`s are shown
next to the field they name (`apply_validation_error`).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import reference

from . import annex, screening
from .models import (
    Application,
    Course,
    Document,
    Provider,
    ProviderIdentifier,
    SuspensionReason,
)


def apply_validation_error(form, error):
    """Show a service's `ValidationError` on `form`: next to the field it names when the
    form has that field, else as a form-wide error, so no message is ever lost."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            target = field if field in form.fields else None
            for message in messages:
                if target is None and field not in ("__all__", None):
                    message = _("%(field)s: %(message)s") % {"field": field, "message": message}
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class DescribedForm(forms.Form):
    """Every field points `aria-describedby` at its help text and, once validated, at its
    errors, so a screen reader announces the error with the field it belongs to."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}_help"

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:
            attrs = self.fields[field].widget.attrs
            ids = [i for i in attrs.get("aria-describedby", "").split() if i]
            ids.append(f"{self[field].auto_id}_errors")
            attrs["aria-describedby"] = " ".join(dict.fromkeys(ids))
            attrs["aria-invalid"] = "true"


# --------------------------------------------------------------------------- provider


class ProviderForm(DescribedForm):
    legal_name = forms.CharField(max_length=300, label=gettext_lazy("Legal name"))
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=())
    type = forms.ChoiceField(
        label=gettext_lazy("Type of organisation"), choices=Provider.Type.choices
    )
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("— choose —")), *reference.country_choices()]

    @classmethod
    def initial_for(cls, provider):
        return {
            "legal_name": provider.legal_name,
            "country": provider.country,
            "type": provider.type,
            "website": provider.website,
        }


class IdentifierForm(forms.Form):
    scheme = forms.ChoiceField(
        label=gettext_lazy("Scheme"),
        choices=[("", "—"), *ProviderIdentifier.Scheme.choices],
        required=False,
    )
    value = forms.CharField(label=gettext_lazy("Value"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("scheme")) != bool((data.get("value") or "").strip()):
            raise ValidationError(_("Give both the scheme and the value, or neither."))
        return data


IdentifierFormSet = forms.formset_factory(IdentifierForm, extra=2)


def identifiers_from(formset):
    return [
        {"scheme": f.cleaned_data["scheme"], "value": f.cleaned_data["value"].strip()}
        for f in formset.forms
        if f.cleaned_data.get("scheme")
    ]


class ChangeRequestForm(DescribedForm):
    """A request to change the provider's legal name or country (with the identifier rows
    of `IdentifierFormSet`): once the agency has decided on a provider, these change only
    when a coordinator approves."""

    legal_name = forms.CharField(max_length=300, label=gettext_lazy("Legal name"))
    country = forms.ChoiceField(label=gettext_lazy("Country"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("— choose —")), *reference.country_choices()]


class ChangeRequestDecisionForm(DescribedForm):
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Shown to the provider. Required to reject: say why."),
    )


# --------------------------------------------------------------------------- course


def _lines(value):
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class CourseForm(DescribedForm):
    """Every element of Annex I. Mandatory elements may stay empty while drafting: the
    dossier checklist and `submit` list what is missing; what is entered must be valid."""

    title = forms.CharField(max_length=300, label=annex.label_of("title"))
    learning_outcomes = forms.CharField(
        label=annex.label_of("learning_outcomes"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=gettext_lazy("One learning outcome per line."),
    )
    workload_ects = forms.DecimalField(
        label=annex.label_of("workload_ects"),
        required=False,
        min_value=0.01,
        max_digits=5,
        decimal_places=2,
        help_text=gettext_lazy("In ECTS credits wherever possible, e.g. 5 or 2.5."),
    )
    workload_hours = forms.DecimalField(
        label=annex.label_of("workload_hours"),
        required=False,
        min_value=0.01,
        max_digits=7,
        decimal_places=2,
        help_text=gettext_lazy("Only when ECTS do not apply; leave the ECTS empty then."),
    )
    level_not_applicable = forms.BooleanField(
        label=annex.label_of("level_not_applicable"),
        required=False,
        help_text=gettext_lazy(
            "Annex I asks for the level if applicable; tick this and leave both empty."
        ),
    )
    eqf_level = forms.TypedChoiceField(
        label=annex.label_of("eqf_level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("— none —")), *[(n, str(n)) for n in reference.EQF_LEVELS]],
    )
    qf_ehea_cycle = forms.ChoiceField(
        label=annex.label_of("qf_ehea_cycle"),
        required=False,
        choices=[("", gettext_lazy("— none —")), *Course.QfEhea.choices],
    )
    isced_f = forms.CharField(
        label=gettext_lazy("Field of study (ISCED-F 2013 code)"),
        required=False,
        max_length=4,
        help_text=gettext_lazy('For example "0613" (software and applications development).'),
    )
    languages = forms.CharField(
        label=gettext_lazy("Languages"),
        required=False,
        help_text=gettext_lazy("ISO 639-1 codes separated by commas, e.g. en, de."),
    )
    assessment_type = forms.CharField(
        label=annex.label_of("assessment_type"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    participation_form = forms.ChoiceField(
        label=annex.label_of("participation_form"),
        required=False,
        choices=[("", gettext_lazy("— choose —")), *Course.ParticipationForm.choices],
    )
    quality_assurance = forms.CharField(
        label=annex.label_of("quality_assurance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    prerequisites = forms.CharField(
        label=annex.label_of("prerequisites"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    supervision_identity_verification = forms.ChoiceField(
        label=annex.label_of("supervision_identity_verification"),
        required=False,
        choices=[("", gettext_lazy("— not stated —")), *annex.SUPERVISION_CHOICES],
    )
    grading = forms.CharField(
        label=annex.label_of("grading"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    stackability = forms.CharField(
        label=annex.label_of("stackability"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    further_information = forms.CharField(
        label=annex.label_of("further_information"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # The fields of the mandatory Annex I elements (shown first, as "required for submit").
    MANDATORY = tuple(name for e in annex.COURSE_MANDATORY for name in e.fields)

    def clean_isced_f(self):
        value = self.cleaned_data["isced_f"].strip()
        if value and not reference.is_isced_f(value):
            raise ValidationError(
                _("%(value)s is not an ISCED-F 2013 field code.") % {"value": value}
            )
        return value

    def clean_languages(self):
        codes = [c.strip().lower() for c in self.cleaned_data["languages"].split(",") if c.strip()]
        bad = [c for c in codes if not reference.is_language(c)]
        if bad:
            raise ValidationError(
                _("Not ISO 639-1 language codes: %(codes)s.") % {"codes": ", ".join(bad)}
            )
        return codes

    def clean_learning_outcomes(self):
        return _lines(self.cleaned_data["learning_outcomes"])

    def clean(self):
        cleaned = super().clean()
        for name, message in annex.value_problems(cleaned).items():
            if name in cleaned:
                self.add_error(name, message)
        return cleaned

    def service_data(self):
        data = dict(self.cleaned_data)
        data["qf_ehea_cycle"] = data["qf_ehea_cycle"] or None
        data["supervision_identity_verification"] = (
            data["supervision_identity_verification"] or None
        )
        return data

    @classmethod
    def initial_for(cls, course):
        initial = {name: getattr(course, name) for name in cls.base_fields}
        initial["learning_outcomes"] = "\n".join(course.learning_outcomes or [])
        initial["languages"] = ", ".join(course.languages or [])
        initial["qf_ehea_cycle"] = course.qf_ehea_cycle or ""
        initial["supervision_identity_verification"] = (
            course.supervision_identity_verification or ""
        )
        return initial


# --------------------------------------------------------------------------- dossier


class ApplicationCreateForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What should be reviewed?"),
        choices=[
            ("course", gettext_lazy("Approval of one course")),
            ("provider", gettext_lazy("Institutional review of the organisation")),
            ("renewal", gettext_lazy("Renewal: the next cycle of an accreditation or approval")),
        ],
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Course"),
        queryset=Course.objects.none(),
        required=False,
        empty_label="—",
    )
    previous = forms.ModelChoiceField(
        label=gettext_lazy("Accreditation to renew"),
        queryset=Application.objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy(
            "For a renewal: the decided application whose cycle continues. Its "
            "self-assessments are copied into the new dossier as a starting point."
        ),
    )

    def __init__(self, *args, courses, renewable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["previous"].queryset = renewable
        self.fields["previous"].label_from_instance = _cycle_label

    def clean(self):
        data = super().clean()
        if data.get("kind") == "course" and not data.get("course"):
            self.add_error("course", _("Choose the course to be approved."))
        if data.get("kind") == "renewal" and not data.get("previous"):
            self.add_error("previous", _("Choose the accreditation to renew."))
        return data


def _cycle_label(application):
    values = {
        "number": application.pk,
        "provider": application.provider.legal_name,
        "scope": application.course.title if application.course_id else _("institutional review"),
    }
    if application.decided_at:
        values["decided"] = formats.date_format(application.decided_at, "DATE_FORMAT")
        return _("#%(number)s %(provider)s: %(scope)s, decided %(decided)s") % values
    return _("#%(number)s %(provider)s: %(scope)s") % values


class DocumentUploadForm(DescribedForm):
    # The provider's kinds; site visit minutes are the panel's (uploaded from the visit page).
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of document"),
        choices=[c for c in Document.Kind.choices if c[0] != Document.Kind.SITE_VISIT_MINUTES],
    )
    file = forms.FileField(
        label=gettext_lazy("PDF file"),
        help_text=gettext_lazy("PDF only."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )


class SelfAssessmentForm(DescribedForm):
    narrative = forms.CharField(
        label=gettext_lazy("Self-assessment"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "How the provider meets this standard, with references to the evidence."
        ),
    )
    evidence = forms.MultipleChoiceField(
        label=gettext_lazy("Evidence documents"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Upload the documents first (under Documents on the application page); "
            "then tick the ones this self-assessment relies on."
        ),
    )

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [(str(d.pk), d.display_name) for d in documents]
        # What the page says instead of an empty list of boxes.
        self.fields["evidence"].empty_hint = _("No document is uploaded yet.")

    def evidence_ids(self):
        return [int(v) for v in self.cleaned_data.get("evidence") or []]


# --------------------------------------------------------------------------- transitions


class CommentForm(DescribedForm):
    comment = forms.CharField(
        label=gettext_lazy("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(DescribedForm):
    """A suspension or a revocation: both its reason and its comment are published."""

    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        required=False,
        choices=[("", gettext_lazy("— choose —")), *SuspensionReason.choices],
    )
    comment = forms.CharField(
        label=gettext_lazy("Public comment (published in the registry)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RequiredCommentForm(DescribedForm):
    comment = forms.CharField(
        label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 4})
    )


class AnswerForm(DescribedForm):
    answer = forms.CharField(
        label=gettext_lazy("Your answer"), widget=forms.Textarea(attrs={"rows": 6})
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Documents supporting the answer"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, application=None, **kwargs):
        super().__init__(*args, **kwargs)
        docs = application.documents.all() if application is not None else []
        self.fields["documents"].choices = [(str(d.pk), d.display_name) for d in docs]

    def transition_data(self):
        return {
            "answer": self.cleaned_data["answer"],
            "documents": [int(v) for v in self.cleaned_data.get("documents") or []],
        }


class RejectForm(DescribedForm):
    rationale = forms.CharField(
        label=gettext_lazy("Rationale of the negative decision"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class AccreditForm(DescribedForm):
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Leave empty for the default validity (5 years)."),
    )
    rationale = forms.CharField(
        label=gettext_lazy("Rationale (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def transition_data(self):
        data = {"rationale": self.cleaned_data["rationale"]}
        if self.cleaned_data.get("valid_until"):
            data["valid_until"] = self.cleaned_data["valid_until"].isoformat()
        return data


class ConditionForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Condition"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        if bool((data.get("text") or "").strip()) != bool(data.get("due_date")):
            raise ValidationError(_("A condition needs both a text and a due date."))
        return data


ConditionFormSet = forms.formset_factory(ConditionForm, extra=3)


def conditions_from(formset):
    return [
        {"text": f.cleaned_data["text"].strip(), "due_date": f.cleaned_data["due_date"].isoformat()}
        for f in formset.forms
        if f.cleaned_data.get("due_date")
    ]


class AppealForm(DescribedForm):
    grounds = forms.CharField(
        label=gettext_lazy("Grounds of appeal"), widget=forms.Textarea(attrs={"rows": 6})
    )


class AppealDecisionForm(DescribedForm):
    comment = forms.CharField(
        label=gettext_lazy("Reasons"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class ComplaintForm(DescribedForm):
    text = forms.CharField(
        label=gettext_lazy("Your complaint about the procedure"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Complaints are handled by the agency independently of the decision (ESG 2.7)."
        ),
    )


class ApplicationFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False, choices=())
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[
            ("", gettext_lazy("Any kind")),
            ("course", gettext_lazy("Course")),
            ("provider", gettext_lazy("Institutional")),
            ("renewal", gettext_lazy("Renewal")),
        ],
    )
    waiting_for = forms.ChoiceField(
        label=gettext_lazy("Waiting for"),
        required=False,
        choices=[
            ("", gettext_lazy("Anyone")),
            ("coordinator", gettext_lazy("The coordinator")),
            ("decision_body", gettext_lazy("The decision body")),
            ("appeals_committee", gettext_lazy("The appeals committee")),
        ],
    )
    q = forms.CharField(label=gettext_lazy("Provider or course"), required=False, max_length=100)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("Any state")), *states]


# --------------------------------------------------------------------------- screening


class ScreeningChecklistForm(forms.Form):
    """The screening checklist: for each item (`accreditation.screening.items`) a status
    and a note. Field names are `status-<n>` and `note-<n>`, n the item's position."""

    def __init__(self, *args, items, states=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        states = states or {}
        for index, item in enumerate(self.items):
            state = states.get(item.code) or {}
            self.fields[f"status-{index}"] = forms.ChoiceField(
                label=item.label,
                required=False,
                choices=screening.STATUSES,
                widget=forms.RadioSelect,
                initial=state.get("status", ""),
            )
            self.fields[f"note-{index}"] = forms.CharField(
                label=_("Note on: %(item)s") % {"item": item.label},
                required=False,
                max_length=screening.NOTE_MAX_LENGTH,
                initial=state.get("note", ""),
            )

    def rows(self):
        """(item, status field, note field) per item, for the page."""
        return [
            (item, self[f"status-{index}"], self[f"note-{index}"])
            for index, item in enumerate(self.items)
        ]

    def service_items(self):
        return {
            item.code: {
                "status": self.cleaned_data[f"status-{index}"],
                "note": self.cleaned_data[f"note-{index}"],
            }
            for index, item in enumerate(self.items)
        }
