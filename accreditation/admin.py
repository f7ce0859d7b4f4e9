"""The agency staff's back office for the accreditation app.

Staff search and correct master data (providers, memberships, courses,
complaints). What the services forbid, the admin forbids too. A provider's identity
(legal name, country, identifiers) is history the registry answers from: identifiers are
never added, changed or deleted here, and once the agency has decided on a provider its
name and country are read-only (they change by an approved change request); before that
an edit goes through the same service as the provider's own page. States are never edited
here (an application's `state` and an accreditation's `status` are read-only, and every
change of state goes through the services, which lock, check rights and guards, and
log); a course never moves to another provider; applications and courses are created
only by the services. Transition logs, decisions, appeals and notifications are records:
read-only, never deleted. Memberships (who acts for a provider) change only through the
membership services, which check who may and write an audit event; a course edited here
is audited as in `course_update`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from core.audit import audit
from core.errors import DomainError

from . import services, versions
from .models import (
    Accreditation,
    AccreditationTransition,
    Appeal,
    Application,
    ApplicationStateCount,
    ApplicationTransition,
    Clarification,
    Complaint,
    Condition,
    ConditionAssessment,
    ConditionResponse,
    Course,
    CourseVersion,
    Decision,
    Document,
    FollowUpReminder,
    Framework,
    Notification,
    Provider,
    ProviderChangeRequest,
    ProviderIdentifier,
    ProviderIdentity,
    ProviderMembership,
    ScreeningChecklist,
    SelfAssessment,
    Standard,
)
from .services import memberships


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


class IdentifierInline(ReadOnlyInline):
    """Identifiers in force; they change through the provider's profile or a change
    request, which end-date instead of deleting."""

    model = ProviderIdentifier
    fields = ["scheme", "value", "valid_from"]


class IdentityInline(ReadOnlyInline):
    model = ProviderIdentity
    fields = ["legal_name", "country", "identifiers", "valid_from", "valid_until"]
    show_change_link = False


class ChangeRequestInline(ReadOnlyInline):
    model = ProviderChangeRequest
    fields = ["status", "legal_name", "country", "identifiers", "requested_at", "decided_at"]


class MembershipInline(ReadOnlyInline):
    """Shown on the provider; added, changed and removed on the membership pages, which go
    through the membership services."""

    model = ProviderMembership
    fields = ["user", "role", "created_at"]
    readonly_fields = fields


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "country", "type", "website", "created_at"]
    list_filter = ["country", "type"]
    search_fields = ["legal_name", "identifiers__value", "website"]
    inlines = [IdentifierInline, IdentityInline, ChangeRequestInline, MembershipInline]
    readonly_fields = ["created_at", "updated_at"]
    # A website typed without a scheme is taken as https, as on the provider's own form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        """After a decision the name and country change only by an approved request."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and services.has_decision(obj):
            fields += ["legal_name", "country"]
        return fields

    def save_model(self, request, obj, form, change):
        """A new provider starts its identity history; a change goes through
        `provider_change`, as on the provider's own page (history kept, rights checked)."""
        if not change:
            super().save_model(request, obj, form, change)
            ProviderIdentity.objects.create(
                provider=obj,
                legal_name=obj.legal_name,
                country=obj.country,
                identifiers=[],
                valid_from=obj.created_at,
            )
            return
        fields = [name for name in form.changed_data if name in services.PROVIDER_FIELDS]
        data = {name: form.cleaned_data[name] for name in fields}
        try:
            services.provider_change(provider=obj, actor=request.user, data=data)
        except (DomainError, ValidationError) as exc:
            self.message_user(request, f"Not saved: {exc}", level=messages.ERROR)


@admin.register(ProviderIdentifier)
class ProviderIdentifierAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Identifiers and their periods, ended ones included: never deleted."""

    list_display = ["scheme", "value", "provider", "valid_from", "valid_until"]
    list_filter = ["scheme"]
    search_fields = ["value", "provider__legal_name"]
    list_select_related = ["provider"]

    def get_queryset(self, request):
        return ProviderIdentifier.history.select_related("provider")


@admin.register(ProviderIdentity)
class ProviderIdentityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["provider", "legal_name", "country", "valid_from", "valid_until"]
    search_fields = ["legal_name", "provider__legal_name"]
    list_select_related = ["provider"]


@admin.register(ProviderChangeRequest)
class ProviderChangeRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Change requests are decided on the coordinators' queue page (or the API)."""

    list_display = ["id", "provider", "status", "legal_name", "country", "requested_at"]
    list_filter = ["status"]
    search_fields = ["=id", "provider__legal_name", "legal_name"]
    list_select_related = ["provider"]


class MembershipForm(forms.ModelForm):
    """Asks the membership rules before saving, so a refusal is a form error, not a 500."""

    actor = None

    class Meta:
        model = ProviderMembership
        fields = ["user", "provider", "role"]

    def clean(self):
        data = super().clean()
        current = self.instance if self.instance.pk else None
        provider = data.get("provider") or (current.provider if current else None)
        user = data.get("user") or (current.user if current else None)
        if provider is not None and user is not None:
            reason = memberships.membership_refusal(
                actor=self.actor,
                provider=provider,
                user=user,
                role=data.get("role"),
                current=current,
            )
            if reason:
                raise ValidationError(reason)
        return data


@admin.register(ProviderMembership)
class ProviderMembershipAdmin(admin.ModelAdmin):
    """Who acts for which provider. Adding, changing a role and removing call the membership
    services: only the provider's administrators, coordinators and superusers may, nobody
    for themself, and each change is an audit event. The person and the provider of a
    membership never change (remove it and add another)."""

    form = MembershipForm
    list_display = ["user", "provider", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "provider__legal_name"]
    list_select_related = ["user", "provider"]
    raw_id_fields = ["user", "provider"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "provider", "created_at"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return memberships.may_manage_memberships(request.user, obj.provider)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return memberships.may_manage_memberships(request.user, obj.provider)

    def save_model(self, request, obj, form, change):
        try:
            if change:
                saved = memberships.membership_change_role(
                    actor=request.user, membership=obj, role=obj.role
                )
            else:
                saved = memberships.membership_add(
                    actor=request.user, provider=obj.provider, user=obj.user, role=obj.role
                )
        except DomainError as exc:
            raise PermissionDenied(str(exc.detail)) from exc
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at

    def delete_model(self, request, obj):
        try:
            memberships.membership_remove(actor=request.user, membership=obj)
        except DomainError as exc:
            raise PermissionDenied(str(exc.detail)) from exc

    def delete_queryset(self, request, queryset):
        """The bulk "delete selected" action: each membership through the service; the
        ones this user may not remove stay, and the page says so."""
        refused = 0
        for membership in queryset.select_related("provider", "user"):
            try:
                memberships.membership_remove(actor=request.user, membership=membership)
            except DomainError:
                refused += 1
        if refused:
            self.message_user(
                request, f"{refused} membership(s) were not yours to remove.", messages.WARNING
            )


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

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            versions.record(course_id=obj.pk, actor=request.user)
            audit("course.update", actor=request.user, obj=obj, fields=sorted(form.changed_data))


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


@admin.register(ScreeningChecklist)
class ScreeningChecklistAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Kept by coordinators on the screening page (`screening_checklist_save`)."""

    list_display = ["application", "updated_by", "updated_at"]
    search_fields = ["=application__id"]
    list_select_related = ["application__provider", "updated_by"]


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["at", "application", "transition", "from_state", "to_state", "actor"]
    list_filter = ["transition", "to_state"]
    search_fields = ["=application__id", "actor__username", "comment"]
    list_select_related = ["application__provider", "actor"]
    date_hierarchy = "at"


@admin.register(ApplicationStateCount)
class ApplicationStateCountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The numbers of applications per state the pages show, kept by the writes; a wrong
    one is set again by `manage.py recount_application_states`, not by hand."""

    list_display = ["state", "n"]


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit("complaint.handle", actor=request.user, obj=obj, status=obj.status)

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


@admin.register(ConditionResponse)
class ConditionResponseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The provider's answers to conditions: the follow-up's record, read-only."""

    list_display = ["submitted_at", "condition", "submitted_by"]
    search_fields = ["text", "=condition__id", "=condition__accreditation__id"]
    list_select_related = ["condition", "submitted_by"]


@admin.register(ConditionAssessment)
class ConditionAssessmentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The decision body's assessments of conditions: read-only (assessed through the
    API or the condition page, where the last one met fires `confirm_conditions_met`)."""

    list_display = ["assessed_at", "condition", "met", "assessed_by"]
    list_filter = ["met"]
    search_fields = ["comment", "=condition__id", "=condition__accreditation__id"]
    list_select_related = ["condition", "assessed_by"]


@admin.register(FollowUpReminder)
class FollowUpReminderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["sent_at", "key", "kind", "accreditation"]
    list_filter = ["kind"]
    search_fields = ["key", "=accreditation__id"]
    list_select_related = ["accreditation"]


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
