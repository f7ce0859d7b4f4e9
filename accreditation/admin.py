"""The agency staff's back office for the accreditation app.

Staff search and correct master data (providers, identifiers, memberships, courses,
complaints). What the services forbid, the admin forbids too: states are never edited
here (an application's `state` and an accreditation's `status` are read-only, and every
change of state goes through the services, which lock, check rights and guards, and
log); a course never moves to another provider; applications and courses are created
only by the services. Transition logs, decisions, appeals and notifications are records:
read-only, never deleted.
"""

from django.contrib import admin
from django.db import models, transaction

from . import versions
from .models import (
    Accreditation,
    AccreditationTransition,
    Appeal,
    Application,
    ApplicationTransition,
    Clarification,
    Complaint,
    Condition,
    Course,
    CourseVersion,
    Decision,
    Document,
    Framework,
    Notification,
    Provider,
    ProviderIdentifier,
    ProviderMembership,
    SelfAssessment,
    Standard,
)


class ReadOnlyMixin:
    """A record kept as written: staff may look, nobody adds, changes or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


# --------------------------------------------------------------------------- providers


class IdentifierInline(admin.TabularInline):
    model = ProviderIdentifier
    extra = 0


class MembershipInline(admin.TabularInline):
    model = ProviderMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "type", "website", "created_at"]
    list_filter = ["country", "type"]
    search_fields = ["legal_name", "identifiers__value", "website"]
    inlines = [IdentifierInline, MembershipInline]
    readonly_fields = ["created_at", "updated_at"]
    # A website typed without a scheme is taken as https, as on the provider's own form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ProviderIdentifier)
class ProviderIdentifierAdmin(admin.ModelAdmin):
    list_display = ["scheme", "value", "provider"]
    list_filter = ["scheme"]
    search_fields = ["value", "provider__legal_name"]
    list_select_related = ["provider"]
    raw_id_fields = ["provider"]


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "provider__legal_name"]
    list_select_related = ["user", "provider"]
    raw_id_fields = ["user", "provider"]


@admin.register(CourseVersion)
class CourseVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Course versions are frozen: made by the course services (and the course form
    here), never edited or deleted."""

    list_display = [
        "course",
        "number",
        "title",
        "eqf_level",
        "isced_f",
        "valid_from",
        "valid_until",
    ]
    search_fields = ["title", "=course__id"]
    list_select_related = ["course"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    """Staff correct a course's description. The provider is read-only, as in
    `course_update`: a course belongs to the organisation that awards it and never moves
    to another. Courses are described only through `course_create` (by people acting for
    the provider), so none is added here. A correction of the Annex I elements makes a
    new course version, as through the course services; an approved version never
    changes."""

    list_display = ["title", "provider", "eqf_level", "workload_ects", "participation_form"]
    list_filter = ["eqf_level", "qf_ehea_cycle", "participation_form"]
    search_fields = ["title", "provider__legal_name", "isced_f"]
    list_select_related = ["provider"]
    readonly_fields = ["provider", "uid", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            versions.record(course_id=obj.pk, actor=request.user)


# --------------------------------------------------------------------------- standards


class StandardInline(ReadOnlyInline):
    model = Standard
    fields = ["order", "code", "title"]
    show_change_link = False


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Framework versions are loaded from data (`load_standards`) and never edited: a
    review is frozen against the version it started with."""

    list_display = ["code", "version", "title", "effective_from", "effective_to"]
    list_filter = ["code"]
    search_fields = ["code", "title"]
    inlines = [StandardInline]


# --------------------------------------------------------------------------- applications


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["kind", "original_name", "size", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class SelfAssessmentInline(ReadOnlyInline):
    model = SelfAssessment
    fields = ["standard", "narrative"]
    readonly_fields = fields
    show_change_link = False


class TransitionLogInline(ReadOnlyInline):
    """A state machine's append-only log, as the engine wrote it."""

    fields = ["at", "transition", "from_state", "to_state", "actor", "comment"]
    readonly_fields = fields
    show_change_link = False


class ApplicationTransitionInline(TransitionLogInline):
    model = ApplicationTransition


class ClarificationInline(ReadOnlyInline):
    model = Clarification
    fields = ["asked_at", "asked_by", "question", "answered_at", "answer"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Applications are opened by providers and moved only by the services; here staff
    look at the case, its dossier and its history."""

    list_display = ["id", "kind", "provider", "course", "state", "due_at", "submitted_at"]
    list_filter = ["state", "kind", "framework"]
    search_fields = ["=id", "provider__legal_name", "course__title"]
    list_select_related = ["provider", "course"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "provider",
        "course",
        "course_version",
        "framework",
        "previous",
        "state",
        "created_by",
        "submitted_at",
        "decided_at",
        "due_at",
        "reminder_sent_at",
        "overdue_notified_at",
        "created_at",
        "updated_at",
    ]
    inlines = [
        DocumentInline,
        SelfAssessmentInline,
        ClarificationInline,
        ApplicationTransitionInline,
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["id", "application", "kind", "original_name", "size", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["original_name", "sha256", "=application__id"]
    list_select_related = ["application__provider"]


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "application", "transition", "from_state", "to_state", "actor"]
    list_filter = ["transition", "to_state"]
    search_fields = ["=application__id", "actor__username", "comment"]
    list_select_related = ["application__provider", "actor"]
    date_hierarchy = "at"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "application",
        "outcome",
        "valid_from",
        "valid_until",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome"]
    search_fields = ["=application__id", "application__provider__legal_name"]
    list_select_related = ["application__provider", "decided_by"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["application", "outcome", "lodged_by", "lodged_at", "decided_by"]
    list_filter = ["outcome"]
    search_fields = ["=application__id", "grounds"]
    list_select_related = ["application__provider", "lodged_by", "decided_by"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Staff handle complaints here: they may close one and record the response."""

    list_display = ["id", "application", "lodged_by", "lodged_at", "status"]
    list_filter = ["status"]
    search_fields = ["text", "response", "lodged_by__username"]
    list_select_related = ["lodged_by"]
    readonly_fields = ["application", "lodged_by", "lodged_at", "text"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- accreditations


class ConditionInline(ReadOnlyInline):
    model = Condition
    fields = ["text", "due_date", "status", "met_at"]
    readonly_fields = fields
    show_change_link = False


class AccreditationTransitionInline(TransitionLogInline):
    model = AccreditationTransition


@admin.register(Accreditation)
class AccreditationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The registry record: suspend, reinstate, revoke and confirm conditions through the
    API or pages (decision body), never by editing fields."""

    list_display = ["id", "provider", "course", "outcome", "status", "valid_from", "valid_until"]
    list_filter = ["status", "outcome"]
    search_fields = ["=id", "provider__legal_name", "course__title"]
    list_select_related = ["provider", "course"]
    inlines = [ConditionInline, AccreditationTransitionInline]


@admin.register(Condition)
class ConditionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["accreditation", "text", "due_date", "status", "met_at"]
    list_filter = ["status"]
    search_fields = ["text", "=accreditation__id"]
    list_select_related = ["accreditation__provider"]


@admin.register(AccreditationTransition)
class AccreditationTransitionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "accreditation", "transition", "from_state", "to_state", "actor"]
    list_filter = ["transition"]
    search_fields = ["=accreditation__id", "comment"]
    list_select_related = ["accreditation__provider", "actor"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "key", "recipient", "subject", "sent_at"]
    search_fields = ["key", "recipient__username", "subject"]
    list_select_related = ["recipient"]
