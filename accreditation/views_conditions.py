"""The follow-up pages of a conditional decision: one page per condition, with its status,
due date, the provider's answers and the decision body's assessments; the provider answers
there (text and PDFs) and the decision body assesses there. The pages call the same
services as the API (`accreditation.services.conditions`) through `run_service`, so they
refuse exactly as the API does (404, 403, 409, 400 next to the field, 413/415 for files).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import DescribedForm
from .selectors import conditions_with_history
from .web import run_service


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); each is checked by the
    service (a plain PDF, within the size limit)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "application/pdf,.pdf", "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ConditionResponseForm(DescribedForm):
    text = forms.CharField(
        label=gettext_lazy("Your answer"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "What the provider did to meet the condition, with references to the files."
        ),
    )
    files = MultipleFileField(
        label=gettext_lazy("Documents (PDF)"), required=False, help_text=gettext_lazy("PDF only.")
    )


class ConditionAssessForm(DescribedForm):
    met = forms.ChoiceField(
        label=gettext_lazy("Assessment"),
        choices=[
            ("", gettext_lazy("Choose…")),
            ("yes", gettext_lazy("Met")),
            ("no", gettext_lazy("Not met yet")),
        ],
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Required when the condition is not met: what is still missing."),
    )


def _condition(request, pk):
    return get_object_or_404(conditions_with_history(user=request.user), pk=pk)


def _page(request, condition, *, response_form=None, assess_form=None, status=200):
    actions = services.condition_actions(condition, request.user)
    context = {
        "condition": condition,
        "accreditation": condition.accreditation,
        "application": condition.accreditation.application,
        "response_form": (response_form or ConditionResponseForm())
        if "respond" in actions
        else None,
        "assess_form": (assess_form or ConditionAssessForm()) if "assess" in actions else None,
    }
    return render(request, "web/condition_detail.html", context, status=status)


@login_required
def condition_detail(request, pk):
    """The condition, its answers and assessments, and the form of whoever acts now."""
    return _page(request, _condition(request, pk))


@login_required
@require_POST
def condition_respond(request, pk):
    condition = _condition(request, pk)
    form = ConditionResponseForm(request.POST, request.FILES)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.condition_respond(
                condition=condition,
                actor=request.user,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["files"],
            ),
            form=form,
            back=condition.get_absolute_url(),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            messages.success(request, _("Your answer was sent to the decision body."))
            return redirect(condition)
    return _page(request, condition, response_form=form, status=400)


@login_required
@require_http_methods(["POST"])
def condition_assess(request, pk):
    condition = _condition(request, pk)
    form = ConditionAssessForm(request.POST)
    if form.is_valid():
        outcome = run_service(
            request,
            lambda: services.condition_assess(
                condition=condition,
                actor=request.user,
                met=form.cleaned_data["met"] == "yes",
                comment=form.cleaned_data["comment"],
            ),
            form=form,
            back=condition.get_absolute_url(),
        )
        if outcome.refusal:
            return outcome.refusal
        if outcome.ok:
            accreditation = condition.accreditation
            accreditation.refresh_from_db()
            if outcome.result.met and accreditation.outcome == "positive":
                messages.success(
                    request, _("Every condition is met: the decision is now positive.")
                )
            else:
                messages.success(request, _("Your assessment was recorded."))
            return redirect(condition)
    return _page(request, condition, assess_form=form, status=400)
