"""Public registry URLs: the API under /api/v1/registry/, the JWKS, the pages."""

from django.conf import settings
from django.urls import path

from . import api, views

urlpatterns = [
    path("api/v1/registry/verify/", api.verify_view, name="registry-verify"),
    path("api/v1/registry/providers/", api.ProviderListView.as_view(), name="registry-providers"),
    path(
        "api/v1/registry/providers/<int:pk>/",
        api.ProviderDetailView.as_view(),
        name="registry-provider-api",
    ),
    path(
        "api/v1/registry/accreditations/<int:pk>/",
        api.AccreditationView.as_view(),
        name="registry-accreditation",
    ),
    path(
        "api/v1/registry/courses/<uuid:uid>/",
        api.CourseRecordView.as_view(),
        name="registry-course-api",
    ),
    path("api/v1/registry/changes/", api.ChangesView.as_view(), name="registry-changes"),
    path("api/v1/registry/export/", views.export_view, name="registry-export"),
    path(
        "api/v1/registry/accreditations/<int:pk>/",
        api.AccreditationView.as_view(),
        name="registry-accreditation",
    ),
    path(
        "api/v1/registry/status/<str:purpose>/",
        api.status_list_view,
        name="registry-status-list",
    ),
    path(".well-known/jwks.json", views.jwks_view, name="registry-jwks"),
    path(".well-known/did.json", views.did_view, name="registry-did"),
    path("", views.front_door, name="landing"),
    path("registry/", views.search_page, name="registry-search"),
    path("registry/verify/", views.verify_page, name="registry-verify-page"),
    path("registry/verify/signed/", views.verify_signed, name="registry-verify-signed"),
    path("registry/providers/<int:pk>/", views.provider_page, name="registry-provider"),
    path("registry/courses/<uuid:uid>/", views.course_page, name="registry-course"),
    path("registry/changes.atom", views.ChangesFeed(), name="registry-changes-atom"),
]

# A constant view for the benchmark's baseline; only mounted when asked for.
if getattr(settings, "MCQA_BENCH_VIEWS", False):
    urlpatterns.append(path("bench/constant/", views.bench_constant, name="bench-constant"))
