"""Panels, conflicts of interest, judgements, consolidated findings and rendered reports."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accreditation.models import Application, Provider, Standard
from core.models import TimeStampedModel


class Judgement(models.TextChoices):
    """The judgement scale per standard (contract)."""

    COMPLIANT = "compliant", _("Compliant")
    SUBSTANTIALLY_COMPLIANT = "substantially_compliant", _("Substantially compliant")
    PARTIALLY_COMPLIANT = "partially_compliant", _("Partially compliant")
    NON_COMPLIANT = "non_compliant", _("Non-compliant")


class PanelAssignment(TimeStampedModel):
    """A reviewer invited to an application's panel in one role."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        MEMBER = "member", _("Member")
        STUDENT = "student", _("Student member")

    class State(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        COMPLETED = "completed", _("Completed")
        REPLACED = "replaced", _("Replaced")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="panel_assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_assignments"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.INVITED, db_index=True
    )
    due_date = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    no_conflict_declared = models.BooleanField(default=False)
    decline_reason = models.TextField(blank=True)
    override_justification = models.TextField(
        blank=True, help_text=_("Why the coordinator assigned despite a conflict warning.")
    )
    overridden_conflicts = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Keys of the conflicts the coordinator's override covered; a conflict "
            "arising later is not covered."
        ),
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"],
                condition=Q(state__in=["invited", "accepted", "completed"]),
                name="one_live_seat_per_reviewer",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(role="chair", state__in=["invited", "accepted", "completed"]),
                name="one_live_chair_per_panel",
            ),
        ]

    def __str__(self):
        return f"{self.reviewer} – {self.get_role_display()} on #{self.application_id}"


class Affiliation(models.Model):
    """A reviewer's employment or other tie with a provider, past or present.

    An affiliation that ended less than the cooling-off period ago is a conflict of interest.
    """

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliations"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    description = models.CharField(max_length=300, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text=_("Empty while it lasts."))

    class Meta:
        ordering = ["reviewer_id", "-end_date"]

    def __str__(self):
        return f"{self.reviewer} ↔ {self.provider}"


class ConflictDeclaration(models.Model):
    """A conflict of interest a reviewer declared against a provider."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflict_declarations"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-declared_at"]

    def __str__(self):
        return f"{self.reviewer} declared a conflict with {self.provider}"


class ReviewerJudgement(TimeStampedModel):
    """One panel member's judgement of one standard."""

    assignment = models.ForeignKey(
        PanelAssignment, on_delete=models.CASCADE, related_name="judgements"
    )
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    judgement = models.CharField(max_length=30, choices=Judgement.choices)
    rationale = models.TextField()

    class Meta:
        ordering = ["assignment_id", "standard__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "standard"], name="one_judgement_per_member_standard"
            ),
            models.CheckConstraint(
                condition=Q(judgement__in=Judgement.values), name="reviewer_judgement_on_scale"
            ),
        ]

    def __str__(self):
        return f"{self.assignment} / {self.standard.code}: {self.judgement}"


class Finding(TimeStampedModel):
    """The chair's consolidated finding of the panel on one standard."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="findings")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    judgement = models.CharField(max_length=30, choices=Judgement.choices)
    rationale = models.TextField()
    recommendations = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["application_id", "standard__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "standard"], name="one_finding_per_standard"
            ),
            models.CheckConstraint(
                condition=Q(judgement__in=Judgement.values), name="finding_judgement_on_scale"
            ),
        ]

    def __str__(self):
        return f"#{self.application_id} / {self.standard.code}: {self.judgement}"


def report_upload_to(instance, filename):
    return f"reports/{instance.application_id}/{secrets.token_hex(16)}.pdf"


class Report(TimeStampedModel):
    """A rendered PDF report. A ready published report is immutable: a correction is a new
    version and the old one stays downloadable."""

    class Stage(models.TextChoices):
        DRAFT = "draft", _("Draft (factual-accuracy check)")
        FINAL = "final", _("Final panel report")
        PUBLISHED = "published", _("Published report with the decision")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("report status", "Pending")
        READY = "ready", pgettext_lazy("report status", "Ready")
        FAILED = "failed", pgettext_lazy("report status", "Failed")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reports")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    file = models.FileField(upload_to=report_upload_to, max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rendered_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(
        default=dict, blank=True, help_text="The structured data the PDF was rendered from."
    )
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While set and in the future, a worker holds this render; once past, "
        "that worker died and the sweep may hand the render to another.",
    )
    leased_by = models.CharField(
        max_length=200, blank=True, help_text="The worker process (host and pid) holding it."
    )
    # The language the PDF is written in: the application's report language when the
    # report was requested (its data is frozen then), which the render uses.
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    class Meta:
        ordering = ["application_id", "stage", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "stage", "version"], name="report_version_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | ~Q(sha256=""), name="ready_report_has_checksum"
            ),
        ]

    def __str__(self):
        return f"Report #{self.pk} ({self.stage} v{self.version}) of #{self.application_id}"


class ReviewerProfile(TimeStampedModel):
    """What a reviewer brings to a panel (ESG 2.4: panels with the right expertise, a
    student member, trained experts): fields of expertise as ISCED-F 2013 codes, country,
    languages, student status with its end date and the date of their last training.

    The reviewer keeps it up to date themself; composing a panel ranks candidates by it.
    """

    reviewer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    expertise = models.JSONField(
        default=list, blank=True, help_text=_("Fields of expertise: ISCED-F 2013 codes.")
    )
    country = models.CharField(
        max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code of the country of work.")
    )
    languages = models.JSONField(
        default=list, blank=True, help_text=_("Working languages: ISO 639-1 codes.")
    )
    is_student = models.BooleanField(default=False)
    student_until = models.DateField(
        null=True, blank=True, help_text=_("When the student status ends (required for a student).")
    )
    last_training_on = models.DateField(
        null=True, blank=True, help_text=_("Date of the last reviewer training attended.")
    )

    class Meta:
        ordering = ["reviewer_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_student=False) | Q(student_until__isnull=False),
                name="student_reviewer_has_end_date",
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="reviewer_country_alpha2",
            ),
        ]

    def __str__(self):
        return f"Profile of {self.reviewer}"

    def student_on(self, day):
        """True when the reviewer holds a valid student status on `day`."""
        return self.is_student and self.student_until is not None and self.student_until >= day


class SiteVisit(TimeStampedModel):
    """The panel's visit to the provider (ESG 2.3: on site or online interviews with
    management, staff, learners, employers) before it reports. A cancelled visit stays in
    the record with `cancelled_at` set and no longer counts as held."""

    class Mode(models.TextChoices):
        ONSITE = "onsite", _("On site")
        ONLINE = "online", _("Online")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="site_visits"
    )
    mode = models.CharField(max_length=10, choices=Mode.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application_id", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="site_visit_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=["onsite", "online"]), name="site_visit_mode_known"
            ),
        ]

    def __str__(self):
        return f"Site visit #{self.pk} of #{self.application_id} ({self.starts_on}–{self.ends_on})"


class SiteVisitSession(models.Model):
    """One interview of a site visit: with which group, when."""

    class Group(models.TextChoices):
        MANAGEMENT = "management", _("Management")
        STAFF = "staff", pgettext_lazy("site visit group", "Staff")
        LEARNERS = "learners", _("Learners")
        EMPLOYERS = "employers", _("Employers")
        GRADUATES = "graduates", _("Graduates")
        OTHER = "other", pgettext_lazy("site visit group", "Other")

    visit = models.ForeignKey(SiteVisit, on_delete=models.CASCADE, related_name="sessions")
    group = models.CharField(max_length=12, choices=Group.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["visit_id", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    group__in=["management", "staff", "learners", "employers", "graduates", "other"]
                ),
                name="site_visit_session_group_known",
            ),
        ]

    def __str__(self):
        return f"{self.get_group_display()} at {self.at:%Y-%m-%d %H:%M}"
