"""The web application's review pages: panels, invitations, judgements, findings, reports."""

from django.urls import path

from . import views
from .reports import pages as report_pages

urlpatterns = [
    path("applications/<int:pk>/panel/", views.panel_compose, name="panel-compose"),
    path("applications/<int:pk>/consolidation/", views.consolidation, name="consolidation"),
    path("applications/<int:pk>/findings/<str:code>/", views.finding_save, name="finding-save"),
    path("applications/<int:pk>/reports/", views.report_request, name="report-request"),
    path(
        "applications/<int:pk>/report-language/",
        report_pages.report_language_save,
        name="report-language",
    ),
    path("reviewers/me/profile/", views.profile_edit, name="reviewer-profile"),
    path("applications/<int:pk>/site-visits/", views.site_visits, name="site-visits"),
    path(
        "applications/<int:pk>/site-visits/minutes/",
        views.site_visit_minutes,
        name="site-visit-minutes",
    ),
    path(
        "applications/<int:pk>/site-visits/<int:visit_pk>/cancel/",
        views.site_visit_cancel,
        name="site-visit-cancel",
    ),
    path(
        "applications/<int:pk>/site-visits/<int:visit_pk>/calendar.ics",
        views.site_visit_calendar,
        name="site-visit-calendar",
    ),
    path("assignments/", views.assignment_list, name="assignment-list"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment-detail"),
    path("assignments/<int:pk>/accept/", views.assignment_accept, name="assignment-accept"),
    path("assignments/<int:pk>/decline/", views.assignment_decline, name="assignment-decline"),
    path("assignments/<int:pk>/review/", views.assignment_review, name="assignment-review"),
    path(
        "assignments/<int:pk>/judgements/<str:code>/",
        views.judgement_save,
        name="judgement-save",
    ),
]
