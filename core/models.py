"""Abstract models that every app shares."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """Who did what, when: permission grants, overrides, logins of note, staff actions.

    Append-only: the application never updates or deletes a row (state changes have
    their own transition logs; this records everything else that matters to an audit).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


def language_choices():
    """The languages of the site (settings.LANGUAGES), read when asked, not at import."""
    from django.conf import settings

    return settings.LANGUAGES


class UserLanguage(models.Model):
    """The language a person reads the site and its e-mails in.

    Stored when a signed-in person picks a language with the switcher, and set again as
    the language cookie when they sign in (on another browser too). E-mails have no
    browser to ask, so they are written in this language, or in the site's default when
    the person never chose one.
    """

    user = models.OneToOneField(
        "auth.User",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="language_preference",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")

    def __str__(self):
        return f"{self.user} → {self.language}"
