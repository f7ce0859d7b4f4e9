"""Providers, courses (Annex I), standards frameworks, applications and accreditations.

The application and the accreditation each carry a protected django-fsm-2 state
field; their `@transition` methods only change the object's own fields. Every
write goes through `accreditation.services`, which locks, checks, fires, logs
and schedules side effects after commit.
"""

import secrets
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import PurePosixPath
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, router, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from guardian.models import UserObjectPermissionBase

from core import reference
from core.models import TimeStampedModel

from . import annex


def validate_country(value):
    if not reference.is_country(value):
        raise ValidationError(
            gettext("%(value)s is not an ISO 3166-1 alpha-2 country code."),
            params={"value": value},
            code="invalid_country",
        )


def validate_isced_f(value):
    if not reference.is_isced_f(value):
        raise ValidationError(
            gettext("%(value)s is not an ISCED-F 2013 field code."),
            params={"value": value},
            code="invalid_isced_f",
        )


def validate_eqf_levels(value):
    """An accreditation's EQF limit: a list of EQF levels (1..8); empty means no limit."""
    if not isinstance(value, list):
        raise ValidationError(gettext("A list of EQF levels (1 to 8) is required."), code="invalid")
    bad = [
        v
        for v in value
        if isinstance(v, bool) or not isinstance(v, int) or v not in reference.EQF_LEVELS
    ]
    if bad:
        raise ValidationError(
            gettext("Not EQF levels (whole numbers from 1 to 8): %(levels)s"),
            params={"levels": ", ".join(repr(v)[:20] for v in bad[:10])},
            code="invalid_eqf_level",
        )


def validate_isced_fields(value):
    """An accreditation's ISCED-F limit: codes of the ISCED-F 2013 reference data; empty
    means no limit."""
    if not isinstance(value, list):
        raise ValidationError(gettext("A list of ISCED-F 2013 codes is required."), code="invalid")
    bad = [v for v in value if not reference.is_isced_f(v)]
    if bad:
        raise ValidationError(
            gettext("Not ISCED-F 2013 field codes: %(codes)s"),
            params={"codes": ", ".join(repr(v)[:20] for v in bad[:10])},
            code="invalid_isced_f",
        )


def validate_language_list(value):
    if not isinstance(value, list):
        raise ValidationError(
            gettext("Languages must be a list of ISO 639-1 codes."), code="invalid"
        )
    bad = [code for code in value if not reference.is_language(code)]
    if bad:
        raise ValidationError(
            gettext("Not ISO 639-1 language codes: %(codes)s"),
            params={"codes": ", ".join(map(str, bad))},
            code="invalid_language",
        )


def validate_learning_outcomes(value):
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError(
            gettext("Learning outcomes must be a list of non-empty strings."), code="invalid"
        )


# --------------------------------------------------------------------------- providers


class Provider(TimeStampedModel):
    class Type(models.TextChoices):
        UNIVERSITY = "university", _("Higher education institution")
        VET = "vet", _("VET school")
        COMPANY = "company", _("Company")
        NGO = "ngo", _("NGO")
        PUBLIC_BODY = "public_body", _("Public body")
        OTHER = "other", _("Other")

    legal_name = models.CharField(max_length=300)
    country = models.CharField(max_length=2, validators=[validate_country])
    type = models.CharField(max_length=20, choices=Type.choices)
    website = models.URLField(blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProviderMembership", related_name="providers"
    )

    class Meta:
        ordering = ["legal_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country__regex=r"^[A-Z]{2}$"), name="provider_country_alpha2"
            ),
        ]

    def __str__(self):
        return self.legal_name

    def get_absolute_url(self):
        return reverse("provider-detail", args=[self.pk])


class CurrentIdentifiers(models.Manager):
    """The identifiers in force (not end-dated)."""

    def get_queryset(self):
        return super().get_queryset().filter(valid_until__isnull=True)


class ProviderIdentifier(models.Model):
    class Scheme(models.TextChoices):
        SCHAC = "schac", _("SCHAC home organisation")
        ETER = "eter", _("ETER")
        DEQAR = "deqar", _("DEQAR")
        ERASMUS = "erasmus", _("Erasmus code")
        EU_PIC = "eu-pic", _("EU Participant Identification Code")
        EU_VAT = "eu-vat", _("EU VAT number")
        EUID = "euid", _("European Unique Identifier")
        LEI = "lei", _("Legal Entity Identifier")
        DID = "did", _("Decentralised identifier")
        NATIONAL = "national", _("National register")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=20, choices=Scheme.choices)
    value = models.CharField(max_length=200)
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When it stopped identifying the provider; empty while it does."),
    )

    # `objects` (and so `provider.identifiers`) are the identifiers in force; `history`
    # is every row, ended ones included: an identifier is end-dated, never deleted, so
    # the registry can tell whom it identified at any moment.
    objects = CurrentIdentifiers()
    history = models.Manager()  # noqa: DJ012 - the default manager is the one above

    class Meta:
        ordering = ["scheme", "value"]
        base_manager_name = "history"
        # Verify looks an identifier up as of a moment, ended rows included.
        indexes = [models.Index(fields=["scheme", "value", "valid_from"], name="identifier_lookup")]
        constraints = [
            # One identifier belongs to at most one provider at any moment: one open row
            # per (scheme, value), and a new claim starts when it is made, after any end.
            models.UniqueConstraint(
                fields=["scheme", "value"],
                condition=Q(valid_until__isnull=True),
                name="identifier_in_force_unique",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="identifier_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(scheme__in=reference.IDENTIFIER_SCHEMES), name="identifier_scheme_known"
            ),
            models.CheckConstraint(condition=~Q(value=""), name="identifier_value_not_empty"),
        ]

    def __str__(self):
        return f"{self.scheme}:{self.value}"


class ProviderIdentity(models.Model):
    """What the provider was called, where, and by which identifiers, over a period.

    Identity is history: a change of legal name, country or identifiers ends the open
    row and starts a new one at that moment, so the registry shows the name a provider
    had at the moment asked about, not today's. The identifiers are copied in (their own
    history is `ProviderIdentifier`) so that verify reads the whole identity as of a
    moment from one row.
    """

    provider = models.ForeignKey(
        Provider, on_delete=models.CASCADE, related_name="identity_history"
    )
    legal_name = models.CharField(max_length=300)
    country = models.CharField(max_length=2)
    identifiers = models.JSONField(default=list, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    change_request = models.OneToOneField(
        "ProviderChangeRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="identity",
        help_text=_("The approved change request that started this period, if any."),
    )

    class Meta:
        ordering = ["provider", "valid_from"]
        # Verify reads the identity of one provider as of a moment.
        indexes = [models.Index(fields=["provider", "valid_from"], name="identity_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(valid_until__isnull=True),
                name="identity_one_open_period",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="identity_period_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.legal_name} ({self.country}) from {self.valid_from:%Y-%m-%d}"


class ProviderChangeRequest(models.Model):
    """A change of a provider's legal name, country or identifiers asked for after the
    agency has decided on the provider: it takes effect only when a coordinator approves
    it (the registry's answers change only through the agency). Empty fields (None) are
    not part of the change."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="change_requests")
    legal_name = models.CharField(max_length=300, null=True, blank=True)
    country = models.CharField(max_length=2, null=True, blank=True)
    identifiers = models.JSONField(null=True, blank=True)
    previous = models.JSONField(
        default=dict, blank=True, help_text=_("Name, country and identifiers when filed.")
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One pending request per provider: a second one waits for the first decision.
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status="pending"),
                name="change_request_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False),
                name="change_request_decided_has_time",
            ),
        ]

    def __str__(self):
        return f"Change request {self.pk} for {self.provider} ({self.status})"

    def changes(self):
        """The requested changes as {field: new value}."""
        return {
            field: getattr(self, field)
            for field in ("legal_name", "country", "identifiers")
            if getattr(self, field) is not None
        }


class ProviderMembership(TimeStampedModel):
    """Who acts for which provider; an `admin` may also manage the provider's profile."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_memberships"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADMIN)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.provider}"


# --------------------------------------------------------------------------- courses


class Course(TimeStampedModel):
    """A micro-credential course described by the standard elements of Annex I.

    Fields may be left empty while a provider drafts; `submit` lists what is
    still missing. Values that are present are always valid (database checks).
    """

    class ParticipationForm(models.TextChoices):
        ONLINE = "online", _("Online")
        ONSITE = "onsite", _("On-site")
        BLENDED = "blended", _("Blended")

    class QfEhea(models.TextChoices):
        SHORT = "short", _("Short cycle")
        FIRST = "first", _("First cycle")
        SECOND = "second", _("Second cycle")
        THIRD = "third", _("Third cycle")

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="courses")
    uid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("The course's public identifier, stable across its versions."),
    )
    title = models.CharField(max_length=300)
    learning_outcomes = models.JSONField(
        default=list, blank=True, validators=[validate_learning_outcomes]
    )
    workload_ects = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0.01)]
    )
    workload_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The notional workload in hours, only when ECTS do not apply."),
    )
    level_not_applicable = models.BooleanField(
        default=False,
        help_text=_("No EQF level and no QF-EHEA cycle apply (Annex I: if applicable)."),
    )
    eqf_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(8)]
    )
    qf_ehea_cycle = models.CharField(max_length=10, choices=QfEhea.choices, null=True, blank=True)
    isced_f = models.CharField(
        "ISCED-F 2013 field", max_length=4, blank=True, validators=[validate_isced_f]
    )
    assessment_type = models.TextField(blank=True)
    participation_form = models.CharField(
        max_length=10, choices=ParticipationForm.choices, blank=True
    )
    quality_assurance = models.TextField("type of quality assurance", blank=True)
    languages = models.JSONField(default=list, blank=True, validators=[validate_language_list])
    prerequisites = models.TextField(blank=True)
    supervision_identity_verification = models.CharField(
        max_length=40, choices=annex.SUPERVISION_CHOICES, null=True, blank=True
    )
    grading = models.TextField(blank=True)
    stackability = models.TextField("integration/stackability options", blank=True)
    further_information = models.TextField(blank=True)

    class Meta:
        ordering = ["provider_id", "title", "id"]
        # The course list's order (issue 18.9): a page reads the index, not a sorted table.
        indexes = [models.Index(fields=["title", "id"], name="course_title")]
        constraints = [
            models.CheckConstraint(
                condition=Q(workload_ects__isnull=True) | Q(workload_ects__gt=0),
                name="course_ects_positive",
            ),
            models.CheckConstraint(
                condition=Q(eqf_level__isnull=True) | Q(eqf_level__gte=1, eqf_level__lte=8),
                name="course_eqf_1_to_8",
            ),
            models.CheckConstraint(
                condition=Q(qf_ehea_cycle__isnull=True)
                | Q(qf_ehea_cycle__in=reference.QF_EHEA_CYCLES),
                name="course_qf_ehea_cycle_valid",
            ),
            models.CheckConstraint(
                condition=Q(participation_form__in=["", "online", "onsite", "blended"]),
                name="course_participation_form_valid",
            ),
            models.CheckConstraint(
                condition=Q(workload_hours__isnull=True) | Q(workload_hours__gt=0),
                name="course_workload_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(workload_hours__isnull=True) | Q(workload_ects__isnull=True),
                name="course_workload_ects_or_hours",
            ),
            models.CheckConstraint(
                condition=Q(level_not_applicable=False)
                | Q(eqf_level__isnull=True, qf_ehea_cycle__isnull=True),
                name="course_no_level_when_not_applicable",
            ),
            models.CheckConstraint(
                condition=Q(supervision_identity_verification__isnull=True)
                | Q(supervision_identity_verification__in=annex.SUPERVISION_OPTIONS),
                name="course_supervision_option_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        problems = annex.value_problems({name: getattr(self, name) for name in annex.VALUE_FIELDS})
        if problems:
            raise ValidationError({name: [message] for name, message in problems.items()})

    def get_absolute_url(self):
        return reverse("course-detail", args=[self.pk])

    @property
    def country(self):
        """Country of the issuer (Annex I): the awarding provider's country."""
        return self.provider.country

    @property
    def awarding_body(self):
        return self.provider.legal_name


class CourseVersion(models.Model):
    """A course's Annex I elements as they stood from `valid_from` until `valid_until`
    (empty while in force): frozen, never edited or deleted.

    Every change of a course's elements through the course services makes a new version
    and ends the one before, so at most one version is in force at a time. An
    application is pinned at `submit` to the version in force; the review, its report,
    the accreditation and the registry's coverage answers read that version, never the
    live course, so editing a course later changes no approval and no past answer.
    `elements` holds every element (`accreditation.versions.SNAPSHOT_FIELDS`); the
    columns the registry's verify query reads are copied out of it.
    """

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    elements = models.JSONField()
    title = models.CharField(max_length=300)
    eqf_level = models.PositiveSmallIntegerField(null=True, blank=True)
    isced_f = models.CharField(max_length=4, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["course_id", "number"]
        # Verify and coverage look up the version in force at a moment.
        indexes = [models.Index(fields=["course", "valid_from"], name="course_version_as_of")]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="course_version_number"),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(valid_until__isnull=True),
                name="one_course_version_in_force",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="course_version_period_ordered",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="course_version_from_one"),
        ]

    def __str__(self):
        return f"{self.course_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError(gettext("A course version is frozen; a change is a new version."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Course versions are never deleted.")

    def as_course(self):
        """The version read back as the course it froze: its elements as attributes (the
        country and awarding body as they were then, not the provider's today) and a
        course's display labels, for code that reads either (the Annex I table, the
        course facts)."""
        values = {"level_not_applicable": False, "workload_hours": None, **self.elements}
        for name in ("workload_ects", "workload_hours"):
            number = values.get(name)
            values[name] = Decimal(number) if number not in (None, "") else None
        frozen = SimpleNamespace(pk=self.course_id, id=self.course_id, version=self.number)
        frozen.__dict__.update(values)
        cycles = dict(Course.QfEhea.choices)
        forms = dict(Course.ParticipationForm.choices)
        frozen.get_qf_ehea_cycle_display = lambda: str(cycles.get(frozen.qf_ehea_cycle, ""))
        frozen.get_participation_form_display = lambda: str(
            forms.get(frozen.participation_form, "")
        )
        frozen.get_supervision_identity_verification_display = lambda: annex.supervision_label(
            frozen.supervision_identity_verification
        )
        return frozen


# --------------------------------------------------------------------------- standards


def translated(instance, field):
    """`instance.<field>` in the active language, from its `translations`; the
    English text when the language is English or has no entry for the field."""
    language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if language != "en":
        text = (instance.translations or {}).get(language, {}).get(field)
        if text:
            return text
    return getattr(instance, field)


class Framework(models.Model):
    """One version of a standards framework. Versions are immutable once a review uses them;
    a change is a new version, so a review under way keeps the standards it started with."""

    code = models.SlugField(max_length=60)
    title = models.CharField(max_length=300)
    version = models.CharField(max_length=20)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    # {"de": {"title": ...}}: the framework's wording in the other languages of the
    # pages and reports (the English columns are the version's own text).
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="framework_version_unique"),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"

    @property
    def display_title(self):
        """The title in the reader's language, the English one where none is given."""
        return translated(self, "title")


class Standard(models.Model):
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="standards")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=300)
    guidance = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField()
    # {"de": {"title": ..., "guidance": ...}}, as for Framework.translations.
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["framework_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="standard_code_unique"),
            models.UniqueConstraint(fields=["framework", "order"], name="standard_order_unique"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    @property
    def display_title(self):
        """The title in the reader's language, the English one where none is given."""
        return translated(self, "title")

    @property
    def display_guidance(self):
        return translated(self, "guidance")

    @property
    def heading(self):
        """How pages and messages name the standard, in the reader's language: a
        numbered one with its number ("1.1 Policy for quality assurance"), a named one
        by its title alone ("Quality", not "quality Quality": its code only repeats the
        title as a slug)."""
        if any(c.isdigit() for c in self.code):
            return f"{self.code} {self.display_title}"
        return self.display_title


# --------------------------------------------------------------------------- applications


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    SCREENING = "screening", _("Screening")
    RETURNED = "returned", _("Returned for completion")
    IN_REVIEW = "in_review", _("In review")
    CLARIFICATION_REQUESTED = "clarification_requested", _("Clarification requested")
    FACTUAL_CHECK = "factual_check", _("Factual-accuracy check")
    DECISION_PENDING = "decision_pending", _("Decision pending")
    ACCREDITED = "accredited", _("Accredited")
    CONDITIONALLY_ACCREDITED = "conditionally_accredited", _("Accredited with conditions")
    REJECTED = "rejected", _("Rejected")
    APPEALED = "appealed", _("Appealed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationState
DECIDED_STATES = (S.ACCREDITED, S.CONDITIONALLY_ACCREDITED, S.REJECTED)
WITHDRAWABLE_STATES = (
    S.DRAFT,
    S.SUBMITTED,
    S.SCREENING,
    S.RETURNED,
    S.IN_REVIEW,
    S.CLARIFICATION_REQUESTED,
    S.FACTUAL_CHECK,
    S.DECISION_PENDING,
)
OPEN_STATES = (*WITHDRAWABLE_STATES, S.APPEALED)
# A positive or conditional decision that a new cycle (renewal) may follow.
RENEWABLE_STATES = (S.ACCREDITED, S.CONDITIONALLY_ACCREDITED)


class ApplicationQuerySet(models.QuerySet):
    """Applications, whose writes in bulk keep `ApplicationStateCount` exact.

    A case changes the count of its state when it is created, deleted or moved. The
    engine moves it (`engine.fire`) and `Application.save`/`delete` count one case;
    the bulk writes here count theirs, each in the transaction of the write: the rows
    are locked first, so a transition under way finishes before they are counted and
    none starts until the write commits.
    """

    def bulk_create(self, objs, *args, **kwargs):
        """Insert `objs` and count each in its state (the bench seeds so; a migration of
        history might). Refused with `ignore_conflicts`/`update_conflicts`: what was
        inserted would not be known, so it could not be counted."""
        if kwargs.get("ignore_conflicts") or kwargs.get("update_conflicts"):
            raise ValueError("Applications are inserted whole: their states are counted.")
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            ApplicationStateCount.objects.using(self.db).add(Counter(a.state for a in created))
        return created

    def delete(self):
        """Delete the cases and take each off the count of its state."""
        with transaction.atomic(using=self.db, savepoint=False):
            locked, counts = self._locked()
            result = locked.delete()
            ApplicationStateCount.objects.using(self.db).add(
                {state: -n for state, n in counts.items()}
            )
        return result

    delete.alters_data = True
    delete.queryset_only = True

    def update(self, **kwargs):
        """`update(state=...)` moves the cases on the counts too. It is not a way to
        change a case's state (that is a transition, through the engine, logged); data
        repairs and tests that set up a state directly use it."""
        if "state" not in kwargs:
            return super().update(**kwargs)
        state = kwargs["state"]
        if not isinstance(state, str):
            raise TypeError("update(state=...) takes a state, not an expression.")
        with transaction.atomic(using=self.db, savepoint=False):
            locked, counts = self._locked()
            rows = locked.update(**kwargs)
            deltas = {old: -n for old, n in counts.items()}
            deltas[state] = deltas.get(state, 0) + sum(counts.values())
            ApplicationStateCount.objects.using(self.db).add(deltas)
        return rows

    update.alters_data = True

    def _locked(self):
        """(the rows of this query, locked, as a plain queryset by id; {state: rows})."""
        rows = list(self.order_by().select_for_update().values_list("pk", "state"))
        plain = models.QuerySet(self.model, using=self.db).filter(pk__in=[pk for pk, _ in rows])
        return plain, Counter(state for _, state in rows)


class Application(ConcurrentTransitionMixin, TimeStampedModel):
    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Institutional review")
        COURSE = "course", _("Course approval")
        RENEWAL = "renewal", _("Renewal")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="applications")
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="applications"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="applications")
    course_version = models.ForeignKey(
        CourseVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        help_text=_("The course's version pinned at submit: what the review assesses."),
    )
    previous = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewals",
        help_text=_("The application of the cycle this one renews."),
    )
    state = FSMField(default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the step the current state waits for is due.")
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # The language the case's reports are written in (DEQAR asks for each report's).
    report_language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        # The sorts the lists use (issue 18.9): by due date (pages, home queues, deadlines)
        # and by creation (the API, the default ordering), each also after the filter that
        # precedes it (state; kind on the application list), so a page of a list reads
        # its rows in index order instead of sorting the table.
        indexes = [
            models.Index(fields=["due_at", "id"], name="application_due"),
            models.Index(fields=["state", "due_at", "id"], name="application_state_due"),
            models.Index(fields=["kind", "due_at", "id"], name="application_kind_due"),
            models.Index(fields=["created_at", "id"], name="application_created"),
            models.Index(fields=["state", "created_at", "id"], name="application_state_created"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(course__isnull=False, state__in=[s.value for s in OPEN_STATES]),
                name="one_open_application_per_course",
            ),
            models.CheckConstraint(
                condition=~Q(kind="course") | Q(course__isnull=False),
                name="course_application_has_course",
            ),
        ]
        permissions = [("review_application", "Review the application as a panel member")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} – {self.provider}"

    def save(self, *args, **kwargs):
        """A new case counts in its state (`ApplicationStateCount`), in the transaction
        of its insert; a saved one is moved on the counts by the engine."""
        if not self._state.adding:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            ApplicationStateCount.objects.using(using).add({self.state: 1})

    def delete(self, using=None, keep_parents=False):
        """A deleted case leaves the count of the state it was in (read locked, so a
        transition under way is waited for)."""
        using = using or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            state = (
                Application.objects.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("state", flat=True)
                .first()
            )
            result = super().delete(using=using, keep_parents=keep_parents)
            if state is not None:
                ApplicationStateCount.objects.using(using).add({state: -1})
        return result

    def get_absolute_url(self):
        return reverse("application-detail", args=[self.pk])

    @property
    def scope_kind(self):
        """`course` when the application approves one course, else `provider`."""
        return "course" if self.course_id else "provider"

    @property
    def course_as_assessed(self):
        """The course as this case assesses it: the version pinned at submit once there is
        one (later edits of the course do not reach the review), else the live course
        (a draft), None for an institutional review."""
        if self.course_version_id is not None:
            return self.course_version.as_course()
        return self.course

    # Transition bodies change only this object's own fields; services do the rest.

    @transition(field=state, source=[S.DRAFT, S.RETURNED], target=S.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=S.SUBMITTED, target=S.SCREENING)
    def start_screening(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.RETURNED)
    def return_for_completion(self):
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.CLARIFICATION_REQUESTED)
    def request_clarification(self):
        pass

    @transition(field=state, source=S.CLARIFICATION_REQUESTED, target=S.IN_REVIEW)
    def answer_clarification(self):
        pass

    @transition(field=state, source=S.SCREENING, target=S.IN_REVIEW)
    def start_review(self):
        pass

    @transition(field=state, source=S.IN_REVIEW, target=S.FACTUAL_CHECK)
    def submit_draft_report(self):
        pass

    @transition(field=state, source=S.FACTUAL_CHECK, target=S.DECISION_PENDING)
    def confirm_factual_accuracy(self):
        pass

    @transition(field=state, source=S.DECISION_PENDING, target=S.ACCREDITED)
    def accredit(self):
        pass

    @transition(field=state, source=S.DECISION_PENDING, target=S.CONDITIONALLY_ACCREDITED)
    def accredit_with_conditions(self):
        pass

    @transition(field=state, source=S.DECISION_PENDING, target=S.REJECTED)
    def reject(self):
        pass

    @transition(field=state, source=[S.CONDITIONALLY_ACCREDITED, S.REJECTED], target=S.APPEALED)
    def appeal(self):
        pass

    @transition(field=state, source=S.APPEALED, target=S.DECISION_PENDING)
    def uphold_appeal(self):
        pass

    @transition(
        field=state, source=S.APPEALED, target=RETURN_VALUE(S.CONDITIONALLY_ACCREDITED, S.REJECTED)
    )
    def dismiss_appeal(self, appealed_state):
        """The decision stands: back to the state of the decision that was appealed."""
        return appealed_state

    @transition(field=state, source=list(WITHDRAWABLE_STATES), target=S.WITHDRAWN)
    def withdraw(self):
        pass


class ApplicationStateCountQuerySet(models.QuerySet):
    def add(self, deltas):
        """Add `deltas` ({state: +n or -n}) to the counts, as `UPDATE ... SET n = n + d`.

        The rows are updated in the order of their state, so two transactions that move
        cases between the same states in opposite directions lock them in the same order
        and wait for each other instead of deadlocking. A state without its row yet (a
        flushed table, a state added since) gets it."""
        for state in sorted(deltas):
            delta = deltas[state]
            if not delta or self.filter(state=state).update(n=F("n") + delta):
                continue
            try:
                with transaction.atomic(using=self.db):
                    self.create(state=state, n=delta)
            except IntegrityError:
                self.filter(state=state).update(n=F("n") + delta)

    def move(self, from_state, to_state):
        """One case left `from_state` for `to_state`."""
        if from_state != to_state:
            self.add({from_state: -1, to_state: 1})

    def recount(self, *, write=True):
        """Count the cases of each state again and set the counts to it; {state: (was,
        is)} for every count that was wrong (all of them written unless `write` is false).

        For after a write that bypassed the counts (raw SQL, a restore of the application
        table alone). Every count row is locked before the cases are counted: a
        transition that has moved its counts commits first and is counted, one that has
        not yet waits and moves them after this one has set them, so none is lost."""
        with transaction.atomic(using=self.db):
            self.bulk_create(
                [ApplicationStateCount(state=s, n=0) for s in ApplicationState.values],
                ignore_conflicts=True,
            )
            held = dict(self.select_for_update().order_by("state").values_list("state", "n"))
            actual = dict(
                Application.objects.using(self.db)
                .order_by()
                .values_list("state")
                .annotate(n=Count("pk"))
            )
            wrong = {
                state: (held.get(state, 0), actual.get(state, 0))
                for state in sorted(set(held) | set(actual))
                if held.get(state, 0) != actual.get(state, 0)
            }
            if write:
                for state, (_, n) in wrong.items():
                    self.update_or_create(state=state, defaults={"n": n})
        return wrong


class ApplicationStateCount(models.Model):
    """How many applications are in each state now: one row per state.

    The coordinators' home, the application list and the pipeline dashboard show these
    numbers for every case; counting the cases for each page grows with the agency's
    history (issue 18.9), reading 13 rows does not. The counts are exact, not a cache:
    every write that creates, deletes or moves a case changes them in its own
    transaction (`engine.fire`, `Application.save`/`delete`, `ApplicationQuerySet`).
    A transition holds the rows of its two states until it commits, so transitions
    through the same state take turns at that moment (milliseconds; an agency's cases
    move a few hundred times a day). `manage.py recount_application_states` checks
    them and sets them again."""

    state = models.CharField(max_length=50, primary_key=True, choices=ApplicationState.choices)
    n = models.IntegerField(default=0)

    objects = ApplicationStateCountQuerySet.as_manager()

    def __str__(self):
        return f"{self.state}: {self.n}"


class ApplicationObjectPermission(UserObjectPermissionBase):
    """Direct-FK object permissions for applications (granted to panel members on accept)."""

    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)


def document_upload_to(instance, filename):
    """Store under a random name: the uploaded name is kept only as metadata."""
    return f"documents/{instance.application_id}/{secrets.token_hex(16)}.pdf"


class Document(models.Model):
    class Kind(models.TextChoices):
        SELF_EVALUATION = "self_evaluation", _("Self-evaluation report")
        EVIDENCE = "evidence", _("Evidence")
        CREDENTIAL_SAMPLE = "credential_sample", _("Sample credential")
        RESPONSE = "response", _("Response to a clarification or the draft report")
        SITE_VISIT_MINUTES = "site_visit_minutes", _("Site visit minutes")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, default="application/pdf")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.display_name}"

    @property
    def display_name(self):
        return PurePosixPath(self.original_name).name


class SelfAssessment(TimeStampedModel):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="self_assessments"
    )
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    narrative = models.TextField()
    evidence = models.ManyToManyField(Document, blank=True, related_name="self_assessments")

    class Meta:
        ordering = ["standard__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "standard"], name="one_self_assessment_per_standard"
            ),
        ]

    def __str__(self):
        return f"{self.application_id} / {self.standard.code}"


class ScreeningChecklist(models.Model):
    """The coordinator's completeness check of a dossier in screening, kept so that they
    can come back to it: `items` maps each item of `accreditation.screening.items` (one per
    Annex I element, one per required document) to `{"status": "ok" | "missing" |
    "insufficient", "note": text}`. The `return_for_completion` comment is built from the
    missing and insufficient items; the transition itself still goes through the engine
    with its own comment, which the coordinator may have edited."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="screening_checklist"
    )
    items = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Screening checklist of {self.application_id}"


class Clarification(models.Model):
    """A question to the provider during the review and its answer."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="clarifications"
    )
    question = models.TextField()
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="clarifications")

    class Meta:
        ordering = ["asked_at", "id"]

    def __str__(self):
        return f"Clarification #{self.pk} on application {self.application_id}"


class AppendOnlyModel(models.Model):
    """A log row: written once, never changed or deleted through the application."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValidationError("Log rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Log rows are append-only.")


class TransitionLog(AppendOnlyModel):
    """One immutable row per transition of a state machine (the engine writes it): who
    fired what, from which state to which, when, with the comment and the request data."""

    transition = models.CharField(max_length=40)
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the system fired the transition."),
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    comment = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    @property
    def actor_name(self):
        return self.actor.get_username() if self.actor_id else "system"


class ApplicationTransition(TransitionLog):
    """A change of an application's state."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="transitions"
    )

    def __str__(self):
        return f"{self.application_id}: {self.transition} {self.from_state}→{self.to_state}"


# --------------------------------------------------------------------------- decisions


class Decision(models.Model):
    """A decision taken on an application. Negative decisions are kept and published too."""

    class Outcome(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        POSITIVE_WITH_CONDITIONS = "positive_with_conditions", _("Positive with conditions")
        NEGATIVE = "negative", _("Negative")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    rationale = models.TextField(blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    annulled_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set when an appeal against it was upheld.")
    )

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="negative") | Q(valid_until__isnull=False),
                name="positive_decision_has_validity",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="decision_validity_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} on application {self.application_id}"


class Appeal(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        UPHELD = "upheld", _("Upheld")
        DISMISSED = "dismissed", _("Dismissed")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    appealed_state = models.CharField(max_length=30)
    grounds = models.TextField()
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lodged_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.TextField(blank=True)

    class Meta:
        ordering = ["lodged_at", "id"]

    def __str__(self):
        return f"Appeal #{self.pk} on application {self.application_id}"


class Complaint(models.Model):
    """A complaint about the procedure (ESG 2.7); logged and handled by the agency."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints"
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lodged_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(blank=True)

    class Meta:
        ordering = ["-lodged_at", "-id"]

    def __str__(self):
        return f"Complaint #{self.pk}"


# --------------------------------------------------------------------------- accreditations


class SuspensionReason(models.TextChoices):
    """Why an accreditation was suspended or revoked (published with the change)."""

    COMPLAINT = "complaint", _("A complaint")
    CONDITIONS_OVERDUE = "conditions_overdue", _("Conditions overdue")
    SUBSTANTIAL_CHANGE = "substantial_change", _("A substantial change")
    PROVIDER_REQUEST = "provider_request", _("The provider's request")
    FRAUD = "fraud", _("Fraud")
    OTHER = "other", _("Other")


class AccreditationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    ANNULLED = "annulled", _("Annulled on appeal")


A = AccreditationStatus


class Accreditation(ConcurrentTransitionMixin, TimeStampedModel):
    """The registry record a positive or conditional decision creates.

    `course` empty means an institutional accreditation: it covers every course
    of the provider within the EQF levels and ISCED-F fields it lists (empty: no limit).
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="accreditations")
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, null=True, blank=True, related_name="accreditations"
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="accreditations",
        help_text=_("The application whose decision created it."),
    )
    course_version = models.ForeignKey(
        CourseVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accreditations",
        help_text=_("The course's version its decision approved (its application's)."),
    )
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=30, choices=Decision.Outcome.choices)
    status = FSMField(default=A.ACTIVE, choices=A.choices, protected=True, db_index=True)
    valid_from = models.DateField()
    valid_until = models.DateField()
    eqf_levels = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_eqf_levels],
        help_text=_("EQF levels covered (institutional scope; empty: all)."),
    )
    isced_fields = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_isced_fields],
        help_text=_("ISCED-F fields covered (empty: all)."),
    )

    class Meta:
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="accreditation_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["positive", "positive_with_conditions"]),
                name="accreditation_outcome_positive",
            ),
        ]

    def __str__(self):
        scope = self.course or "institutional"
        return f"Accreditation #{self.pk} {self.provider} ({scope})"

    @property
    def scope(self):
        """`provider` for institutional accreditation, else the course id (contract)."""
        return "provider" if self.course_id is None else self.course_id

    @transition(field=status, source=A.ACTIVE, target=A.SUSPENDED)
    def suspend(self):
        pass

    @transition(field=status, source=A.SUSPENDED, target=A.ACTIVE)
    def reinstate(self):
        pass

    @transition(field=status, source=[A.ACTIVE, A.SUSPENDED], target=A.REVOKED)
    def revoke(self):
        pass

    @transition(field=status, source=[A.ACTIVE, A.SUSPENDED], target=A.EXPIRED)
    def expire(self):
        pass

    @transition(field=status, source=[A.ACTIVE, A.SUSPENDED], target=A.ANNULLED)
    def annul(self):
        """The decision that created it was annulled on appeal: not a revocation (the
        provider won its appeal), so the registry says `annulled`."""

    @transition(
        field=status, source=[A.ACTIVE, A.SUSPENDED], target=RETURN_VALUE(A.ACTIVE, A.SUSPENDED)
    )
    def confirm_conditions_met(self):
        """Conditions met: the outcome becomes positive; the status does not change."""
        self.outcome = Decision.Outcome.POSITIVE
        return self.status


class Condition(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MET = "met", _("Met")
        OVERDUE = "overdue", _("Overdue")

    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.CASCADE, related_name="conditions"
    )
    text = models.TextField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    met_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self):
        return self.text[:60]

    def get_absolute_url(self):
        return reverse("condition-detail", args=[self.pk])

    @property
    def last_assessment(self):
        """The decision body's newest assessment, or None (reads prefetched rows)."""
        assessments = list(self.assessments.all())
        return max(assessments, key=lambda a: (a.assessed_at, a.pk), default=None)


class ConditionResponse(AppendOnlyModel):
    """The provider's answer to one condition: what it did, with documents (PDFs stored
    through the same sniffed, checksummed upload path as the dossier). Answers are
    history: when the decision body finds a condition not met yet, the provider answers
    again, and every answer stays."""

    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="responses")
    text = models.TextField()
    documents = models.ManyToManyField(Document, blank=True, related_name="condition_responses")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="condition_response_has_text"),
        ]

    def __str__(self):
        return f"Answer #{self.pk} to condition {self.condition_id}"


class ConditionAssessment(AppendOnlyModel):
    """The decision body's judgement of one condition: met, or not met yet (with a comment
    saying what is still missing). Append-only: the follow-up's record (ESG 2.3)."""

    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="assessments")
    response = models.ForeignKey(
        ConditionResponse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The provider's newest answer when it was assessed, if any."),
    )
    met = models.BooleanField()
    comment = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["assessed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(met=True) | ~Q(comment=""), name="condition_not_met_has_comment"
            ),
        ]

    def __str__(self):
        return f"Condition {self.condition_id} {'met' if self.met else 'not met'}"


class FollowUpReminder(models.Model):
    """A follow-up reminder that went out: a condition coming due, or an accreditation's
    validity ending. `key` names the reminder (`condition:4:7d`, `expiry:9:12m`), so the
    periodic sweep sends each one once however often it runs."""

    class Kind(models.TextChoices):
        CONDITION_DUE = "condition_due", _("Condition coming due")
        EXPIRY = "expiry", _("Validity ending")

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.CASCADE, related_name="reminders"
    )
    condition = models.ForeignKey(
        Condition, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]

    def __str__(self):
        return self.key


class AccreditationTransition(TransitionLog):
    """A change of an accreditation's status or outcome (`create` when a decision made it)."""

    accreditation = models.ForeignKey(
        Accreditation, on_delete=models.CASCADE, related_name="transitions"
    )

    def __str__(self):
        return f"{self.accreditation_id}: {self.transition}"


# --------------------------------------------------------------------------- notifications


class Notification(models.Model):
    """One e-mail owed to one person for one event, recorded so that a task run twice
    (a retry, a redelivered message) never mails the same person about the same event twice.

    `key` names the event (`application-log:17`, `reminder:application:4:screening:…`).
    """

    key = models.CharField(max_length=200)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "recipient"], name="notification_once"),
        ]

    def __str__(self):
        return f"{self.key} → {self.recipient}"
