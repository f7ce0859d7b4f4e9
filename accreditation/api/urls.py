"""Workflow API under /api/v1/ (contract: DESIGN section 4)."""

from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("providers/", views.ProviderListView.as_view(), name="api-provider-list"),
    path("providers/<int:pk>/", views.ProviderDetailView.as_view(), name="api-provider-detail"),
    path(
        "providers/<int:pk>/change-requests/",
        views.ProviderChangeRequestsView.as_view(),
        name="api-provider-change-requests",
    ),
    path(
        "change-requests/<int:pk>/approve/",
        views.ChangeRequestApproveView.as_view(),
        name="api-change-request-approve",
    ),
    path(
        "change-requests/<int:pk>/reject/",
        views.ChangeRequestRejectView.as_view(),
        name="api-change-request-reject",
    ),
    path("courses/", views.CourseListView.as_view(), name="api-course-list"),
    path("courses/<int:pk>/", views.CourseDetailView.as_view(), name="api-course-detail"),
    path("applications/", views.ApplicationListView.as_view(), name="api-application-list"),
    path(
        "applications/<int:pk>/",
        views.ApplicationDetailView.as_view(),
        name="api-application-detail",
    ),
    path(
        "applications/<int:pk>/documents/",
        views.DocumentUploadView.as_view(),
        name="api-application-documents",
    ),
    path(
        "applications/<int:pk>/documents/<int:document_id>/",
        views.DocumentDetailView.as_view(),
        name="api-application-document",
    ),
    path(
        "applications/<int:pk>/screening/",
        views.ScreeningChecklistView.as_view(),
        name="api-application-screening",
    ),
    path(
        "applications/<int:pk>/self-assessments/<str:standard_code>/",
        views.SelfAssessmentView.as_view(),
        name="api-self-assessment",
    ),
    path(
        "applications/<int:pk>/transitions/<str:name>/",
        views.ApplicationTransitionView.as_view(),
        name="api-application-transition",
    ),
    path(
        "applications/<int:pk>/history/",
        views.ApplicationHistoryView.as_view(),
        name="api-application-history",
    ),
    path(
        "documents/<int:pk>/download/",
        views.DocumentDownloadView.as_view(),
        name="api-document-download",
    ),
    path("accreditations/", views.AccreditationListView.as_view(), name="api-accreditation-list"),
    path(
        "accreditations/<int:pk>/",
        views.AccreditationDetailView.as_view(),
        name="api-accreditation-detail",
    ),
    path(
        "accreditations/<int:pk>/transitions/<str:name>/",
        views.AccreditationTransitionView.as_view(),
        name="api-accreditation-transition",
    ),
    path("conditions/<int:pk>/", views.ConditionDetailView.as_view(), name="api-condition-detail"),
    path(
        "conditions/<int:pk>/responses/",
        views.ConditionResponsesView.as_view(),
        name="api-condition-responses",
    ),
    path(
        "conditions/<int:pk>/assess/",
        views.ConditionAssessView.as_view(),
        name="api-condition-assess",
    ),
    path("complaints/", views.ComplaintView.as_view(), name="api-complaints"),
]
