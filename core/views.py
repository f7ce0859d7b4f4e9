"""The pages core serves itself: the language switch."""

from django.views.decorators.http import require_POST
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language

from .language import language_remember


@require_POST
def set_language(request):
    """Django's language switch (the cookie, then back to `next`), which also remembers
    a signed-in person's choice for their next sign-in and their e-mails. POST only, and
    the CSRF middleware checks the token as for any POST."""
    response = django_set_language(request)
    if request.user.is_authenticated:
        language_remember(user=request.user, language=request.POST.get(LANGUAGE_QUERY_PARAMETER))
    return response
