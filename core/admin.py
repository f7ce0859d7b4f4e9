"""The back office's shared pages: the audit log (searchable, never editable), the
accounts, whose agency roles change only through `core.roles.roles_set`, and each
person's language."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group

from .audit import audit
from .models import AuditEvent, UserLanguage
from .roles import Role, roles_set, user_roles


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Append-only: staff read the trail; nobody adds, changes or deletes an event."""

    list_display = ["at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
    readonly_fields = ["at", "actor", "action", "object_type", "object_id", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --------------------------------------------------------------------------- people


class UserRolesForm(UserChangeForm):
    """The person's agency roles as one field; saved through `roles_set`, not as groups."""

    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Granted and withdrawn by superusers only, never by a person to themself; "
        "each change is an audit event.",
    )


class UserAdmin(DjangoUserAdmin):
    """Accounts. Agency roles (Django groups) and permissions are not edited as raw
    groups: the `roles` field calls `core.roles.roles_set`, which only a superuser may,
    for someone else, and which audits each grant and withdrawal. Superuser and staff
    flags and permissions are read-only here for anyone but a superuser, and a person
    never changes their own."""

    form = UserRolesForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Agency roles", {"fields": ("roles",)}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = ["groups", "last_login", "date_joined"]
        if obj is not None and (not request.user.is_superuser or obj.pk == request.user.pk):
            fields += ["is_staff", "is_superuser", "user_permissions", "roles"]
        return fields

    @admin.display(description="Agency roles")
    def roles(self, obj):
        return ", ".join(sorted(user_roles(obj))) or "—"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "roles" in form.base_fields:
            form.base_fields["roles"].initial = sorted(user_roles(obj))
        return form

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and "roles" in form.cleaned_data and "roles" in form.changed_data:
            roles_set(actor=request.user, user=form.instance, roles=form.cleaned_data["roles"])

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        flags = sorted({"is_staff", "is_superuser", "is_active"} & set(form.changed_data))
        if change and flags:
            audit(
                "user.access",
                actor=request.user,
                obj=obj,
                **{name: getattr(obj, name) for name in flags},
            )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), UserAdmin)


@admin.register(UserLanguage)
class UserLanguageAdmin(admin.ModelAdmin):
    """The language each person reads the site and their e-mails in. Staff may correct
    it (a person who cannot find the switcher); the person changes it with the switcher."""

    list_display = ["user", "language", "updated_at"]
    list_filter = ["language"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["updated_at"]


# --------------------------------------------------------------------------- groups

# The agency's roles are groups with fixed names (core.roles.Role): renaming, editing or
# deleting one here would silently take a role from everyone who holds it. Groups are
# shown read-only; roles are given and taken on the person's page (roles_set).
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
