from django.urls import path

from . import views

urlpatterns = [
    path("applications/<int:pk>/panel/", views.ApplicationPanelView.as_view(), name="api-panel"),
    path(
        "applications/<int:pk>/panel/summary/",
        views.PanelSummaryView.as_view(),
        name="api-panel-summary",
    ),
    path(
        "applications/<int:pk>/panel/candidates/",
        views.PanelCandidatesView.as_view(),
        name="api-panel-candidates",
    ),
    path("reviewers/me/profile/", views.OwnProfileView.as_view(), name="api-own-profile"),
    path(
        "reviewers/<int:pk>/profile/",
        views.ReviewerProfileView.as_view(),
        name="api-reviewer-profile",
    ),
    path("applications/<int:pk>/findings/", views.FindingListView.as_view(), name="api-findings"),
    path(
        "applications/<int:pk>/findings/<str:standard_code>/",
        views.FindingView.as_view(),
        name="api-finding",
    ),
    path("assignments/", views.AssignmentListView.as_view(), name="api-assignments"),
    path("assignments/<int:pk>/", views.AssignmentDetailView.as_view(), name="api-assignment"),
    path(
        "assignments/<int:pk>/accept/",
        views.AssignmentAcceptView.as_view(),
        name="api-assignment-accept",
    ),
    path(
        "assignments/<int:pk>/decline/",
        views.AssignmentDeclineView.as_view(),
        name="api-assignment-decline",
    ),
    path(
        "assignments/<int:pk>/replace/",
        views.AssignmentReplaceView.as_view(),
        name="api-assignment-replace",
    ),
    path(
        "assignments/<int:pk>/judgements/",
        views.JudgementListView.as_view(),
        name="api-judgements",
    ),
    path(
        "assignments/<int:pk>/judgements/<str:standard_code>/",
        views.JudgementView.as_view(),
        name="api-judgement",
    ),
    path("conflicts/", views.ConflictListView.as_view(), name="api-conflicts"),
    path(
        "applications/<int:pk>/site-visits/",
        views.SiteVisitListView.as_view(),
        name="api-site-visits",
    ),
    path(
        "applications/<int:pk>/site-visits/<int:visit_pk>/",
        views.SiteVisitDetailView.as_view(),
        name="api-site-visit",
    ),
]
