"""The report language on the application page: the coordinator's small form (a section of
the page, `web/_report_language.html`) and the view it posts to.

The write goes through `services.report_language_set`, as the API's does, so the page and
the API refuse the same requests the same way.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accreditation.web import (
    register_section,
    render_domain_error,
    run_service,
    visible_application,
)
from core.errors import DomainError
from core.roles import Role, has_role

from . import services


class ReportLanguageForm(forms.Form):
    report_language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        help_text=gettext_lazy(
            "Reports requested from now on, the published report with the decision "
            "included, are written in this language."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["report_language"].choices = list(settings.LANGUAGES)


def report_language_part(request, application):
    """The coordinator's part of the application page: the reports' language and the form
    that changes it. Nobody else sees it (the language is shown on every report)."""
    if not has_role(request.user, Role.COORDINATOR):
        return None
    return {
        "template": "web/_report_language.html",
        "form": ReportLanguageForm(initial={"report_language": application.report_language}),
        "language": get_language_info(application.report_language),
    }


register_section("application", report_language_part)


@login_required
@require_POST
def report_language_save(request, pk):
    """The coordinator sets the language of the application's reports."""
    application = visible_application(request, pk)
    back = reverse("application-detail", args=[application.pk]) + "#report-language"
    form = ReportLanguageForm(request.POST)
    if not form.is_valid():
        return render_domain_error(
            request, DomainError(_("Choose one of the languages offered.")), back=back
        )
    outcome = run_service(
        request,
        lambda: services.report_language_set(
            application=application,
            language=form.cleaned_data["report_language"],
            actor=request.user,
        ),
        back=back,
    )
    if outcome.refusal:
        return outcome.refusal
    name = get_language_info(outcome.result.report_language)["name_translated"]
    messages.success(
        request,
        _("The reports of this application will be written in %(language)s.") % {"language": name},
    )
    return redirect(back)
