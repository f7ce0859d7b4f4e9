"""URL map: the API under /api/v1/, the public registry, the web application, the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # First: the public registry answers verifiers at volume, and URL resolution tries
    # patterns in order (its paths overlap no other app's).
    path("", include("registry.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
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
