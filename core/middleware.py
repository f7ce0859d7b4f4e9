"""Security headers that Django does not set by itself, and the refusal of NUL bytes in
query strings."""

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class SecurityHeadersMiddleware:
    """Add a Content-Security-Policy and a Permissions-Policy to every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        csp = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_CSP)
        if request.path.startswith("/api/docs"):
            csp = csp.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        return response


class RejectNulQueryMiddleware:
    """Answer 400 naming the parameter when a query string holds a NUL character.

    PostgreSQL cannot compare or store text with NUL (0x00), so `?q=a%00b` reaching a
    filter is a server error there (and silently different on SQLite). No parameter of
    the application needs one, so it is refused before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "%00" not in query and "\x00" not in query:
            # A NUL reaches a parameter only percent-encoded (or raw): without either,
            # the query is not parsed here (views that never read it are spared that).
            return self.get_response(request)
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                message = "Query parameters must not contain NUL (0x00) characters."
                if request.path.startswith("/api/"):
                    return JsonResponse({name.replace("\x00", ""): [message]}, status=400)
                return HttpResponseBadRequest(message)
        return self.get_response(request)


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's language choice (cookie, then Accept-Language) for the pages only.

    The API under /api/ stays in English whatever the caller's Accept-Language: its
    messages are matched on by integrators, and its responses are not varied (nor their
    caches split) by language. Each language is served under the same URLs; the choice
    lives in the language cookie set by the switcher (core.views.set_language), and at
    sign-in from the person's stored choice (core.language).
    """

    def process_request(self, request):
        if request.path_info.startswith("/api/"):
            # A thread keeps the language of the last request it served: go back to
            # the default, so an API answer never comes out in a page reader's German.
            translation.deactivate()
            return None
        return super().process_request(request)

    def process_response(self, request, response):
        if request.path_info.startswith("/api/"):
            return response
        language = getattr(request, "login_language", None)
        if language:
            # Set at sign-in by core.language.on_login: the person's stored choice.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return super().process_response(request, response)
