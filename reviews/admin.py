"""Admin for the review stage. Panel seats, judgements and findings change only through the
services (so rights, conflicts of interest and permissions are checked and audited); the
admin shows them read-only. Affiliations are agency records and are edited here; they feed
the conflict-of-interest checks, so every change is an audit event."""

from django.contrib import admin
from django.db import transaction

from core.audit import audit

from .candidates import expertise_labels
from .models import (
    Affiliation,
    ConflictDeclaration,
    Finding,
    PanelAssignment,
    Report,
    ReviewerJudgement,
    ReviewerProfile,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows written by the services; adding, changing and deleting go through them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JudgementInline(admin.TabularInline):
    model = ReviewerJudgement
    fields = ("standard", "judgement", "rationale", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PanelAssignment)
class PanelAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "application", "reviewer", "role", "state", "due_date", "responded_at")
    list_filter = ("role", "state")
    search_fields = ("reviewer__username", "application__provider__legal_name")
    list_select_related = ("application__provider", "reviewer")
    raw_id_fields = ("application", "reviewer", "assigned_by")
    date_hierarchy = "created_at"
    inlines = [JudgementInline]


@admin.register(Affiliation)
class AffiliationAdmin(admin.ModelAdmin):
    list_display = ("reviewer", "provider", "description", "start_date", "end_date")
    search_fields = ("reviewer__username", "provider__legal_name", "description")
    list_select_related = ("reviewer", "provider")
    raw_id_fields = ("reviewer", "provider")

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit(
                "affiliation.change" if change else "affiliation.add",
                actor=request.user,
                obj=obj,
                reviewer=obj.reviewer_id,
                provider=obj.provider_id,
                fields=sorted(form.changed_data),
            )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit(
                "affiliation.remove",
                actor=request.user,
                obj=obj,
                reviewer=obj.reviewer_id,
                provider=obj.provider_id,
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ("reviewer", "provider", "declared_at")
    search_fields = ("reviewer__username", "provider__legal_name", "reason")
    list_select_related = ("reviewer", "provider")


@admin.register(ReviewerJudgement)
class ReviewerJudgementAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "standard", "judgement", "updated_at")
    list_filter = ("judgement",)
    list_select_related = ("assignment__reviewer", "assignment__application__provider", "standard")


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("application", "standard", "judgement", "recorded_by", "updated_at")
    list_filter = ("judgement",)
    list_select_related = ("application__provider", "standard", "recorded_by")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "application", "stage", "version", "status", "rendered_at", "attempts")
    list_filter = ("stage", "status")
    list_select_related = ("application__provider",)
    exclude = ("data",)


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(ReadOnlyAdmin):
    """Reviewers keep their own profile (their page or the API); staff read it here."""

    list_display = (
        "reviewer",
        "expertise_display",
        "country",
        "languages_display",
        "is_student",
        "student_until",
        "last_training_on",
    )
    list_filter = ("is_student", "country")
    search_fields = ("reviewer__username", "reviewer__last_name")
    list_select_related = ("reviewer",)
    fields = (
        "reviewer",
        "expertise_display",
        "country",
        "languages_display",
        "is_student",
        "student_until",
        "last_training_on",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="Fields of expertise (ISCED-F)")
    def expertise_display(self, obj):
        return "; ".join(expertise_labels(obj.expertise)) or "—"

    @admin.display(description="Languages")
    def languages_display(self, obj):
        return ", ".join(obj.languages) or "—"
