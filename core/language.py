"""Each person's language: remembered when they switch while signed in, handed back to
their browser when they sign in, and the language of the e-mails they receive.

Pages take their language from the cookie (core.middleware.PageLocaleMiddleware); an
e-mail has no browser to ask, so it is written in the recipient's stored choice, or in
settings.LANGUAGE_CODE for someone who never chose.
"""

from django.conf import settings

from .models import UserLanguage


def is_site_language(code):
    """Whether `code` is one of the languages the site offers (settings.LANGUAGES)."""
    return code in dict(settings.LANGUAGES)


def stored_language(user):
    """The language `user` chose, or None. Reads `user.language_preference`, so a
    queryset of recipients can load it with `select_related("language_preference")`."""
    try:
        language = user.language_preference.language
    except UserLanguage.DoesNotExist:
        return None
    return language if is_site_language(language) else None


def language_of(user):
    """The language to write to `user` in: their choice, else the site's default."""
    return stored_language(user) or settings.LANGUAGE_CODE


def language_remember(*, user, language):
    """Store `language` as `user`'s choice; a language the site does not offer is not
    stored (False)."""
    if not user.is_authenticated or not is_site_language(language):
        return False
    UserLanguage.objects.update_or_create(user=user, defaults={"language": language})
    return True


def on_login(sender, request, user, **kwargs):
    """At sign-in, mark the request with the person's stored language: the locale
    middleware sets it as the language cookie on the response (a signal handler has no
    response to set it on)."""
    if request is not None:
        request.login_language = stored_language(user)


def connect_signals():
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.connect(on_login, dispatch_uid="core.language.on_login")
