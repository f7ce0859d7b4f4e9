"""Report API under /api/v1/ (contract: DESIGN section 4)."""

from django.urls import path

from . import report_views as views

urlpatterns = [
    path(
        "applications/<int:pk>/reports/",
        views.ApplicationReportsView.as_view(),
        name="api-application-reports",
    ),
    path(
        "applications/<int:pk>/report-language/",
        views.ApplicationReportLanguageView.as_view(),
        name="api-application-report-language",
    ),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="api-report-detail"),
    path("reports/<int:pk>/pdf/", views.ReportPDFView.as_view(), name="report-pdf"),
    path("reports/<int:pk>/retry/", views.ReportRetryView.as_view(), name="api-report-retry"),
]
