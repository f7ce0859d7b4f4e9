"""URL map: the API under /api/v1/, the public registry, the web application, the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import set_language

urlpatterns = [
    # First: the public registry answers verifiers at volume, and URL resolution tries
    # patterns in order (its paths overlap no other app's).
    path("", include("registry.urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    # The page script's words; base.html asks it with ?lang=<code>, so each language
    # has its own URL and the day's caching (browser and server) never mixes them.
    path(
        "i18n/js/",
        cache_page(24 * 3600)(JavaScriptCatalog.as_view()),
        name="javascript-catalog",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("accreditation.api.urls")),
    path("api/v1/", include("reviews.api.urls")),
    path("api/v1/", include("reviews.api.report_urls")),
    path("", include("accreditation.urls")),
    path("", include("reviews.urls")),
]

# Errors raised outside the API views (no route, a suspicious request) answer JSON under /api/.
handler400 = "core.api.bad_request"
handler404 = "core.api.page_not_found"
handler500 = "core.api.server_error"
