"""The web application's pages for accounts, providers, courses, dossiers and transitions."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import dashboard, views, views_conditions

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    # Accounts: Django's own views (axes sees `request` through LoginView's authenticate).
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Providers and courses.
    path("providers/new/", views.provider_create, name="provider-create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider-detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider-edit"),
    path(
        "providers/<int:pk>/change-requests/",
        views.change_request_create,
        name="provider-change-request",
    ),
    path("change-requests/", views.change_request_queue, name="change-request-queue"),
    path(
        "change-requests/<int:pk>/<str:action>/",
        views.change_request_decide,
        name="change-request-decide",
    ),
    path("courses/", views.course_list, name="course-list"),
    path("courses/new/", views.course_edit, name="course-create"),
    path("courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    # Applications and their dossiers.
    path("applications/", views.application_list, name="application-list"),
    path("applications/new/", views.application_create, name="application-create"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/documents/", views.document_upload, name="document-upload"),
    path(
        "applications/<int:pk>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="document-delete",
    ),
    path(
        "applications/<int:pk>/self-assessments/<str:code>/",
        views.self_assessment_edit,
        name="self-assessment-edit",
    ),
    path(
        "applications/<int:pk>/screening/",
        views.screening_checklist,
        name="application-screening",
    ),
    path(
        "applications/<int:pk>/transitions/<slug:name>/",
        views.transition,
        name="application-transition",
    ),
    path("applications/<int:pk>/complaints/", views.complaint_lodge, name="complaint-lodge"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path(
        "accreditations/<int:pk>/transitions/<slug:name>/",
        views.accreditation_transition,
        name="accreditation-transition",
    ),
    path("conditions/<int:pk>/", views_conditions.condition_detail, name="condition-detail"),
    path(
        "conditions/<int:pk>/responses/",
        views_conditions.condition_respond,
        name="condition-respond",
    ),
    path("conditions/<int:pk>/assess/", views_conditions.condition_assess, name="condition-assess"),
    path("deadlines/", views.deadlines, name="deadlines"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/pipeline.csv", dashboard.dashboard_csv, name="dashboard-csv"),
]
