"""The public registry: an append-only event history projected from the accreditation
records, a denormalised per-provider table for search and detail, and signing keys.

Nothing here is edited by hand. `registry.services.registry_sync` appends events for
every accreditation transition, decision and published report it has not seen yet and
refreshes the affected providers; `registry_rebuild` wipes both tables and replays the
history with the same result. `StatusListIndex` gives each accreditation its place in
the W3C status lists; `registry_rebuild` never touches it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The answer timeline of a provider with no event yet (registry.services.timeline_json).
EMPTY_TIMELINE = '{"at":[],"states":[],"accs":[]}'
# The identity periods of a row built by hand (registry.services.identities_json).
EMPTY_IDENTITIES = "[]"


class EventType(models.TextChoices):
    DECISION = "decision", _("Decision taken")
    CREATE = "create", _("Accreditation created")
    SUSPEND = "suspend", _("Suspended")
    REINSTATE = "reinstate", _("Reinstated")
    REVOKE = "revoke", _("Revoked")
    EXPIRE = "expire", _("Expired")
    ANNUL = "annul", _("Annulled on appeal")
    CONDITIONS_MET = "conditions_met", _("Conditions met")
    ANNULLED = "annulled", _("Decision annulled on appeal")
    REPORT = "report", _("Report published")
    IDENTITY = "identity", _("Identity changed (name, country or identifiers)")


class RegistryEvent(models.Model):
    """One published fact, never changed afterwards.

    `seq` is assigned under a lock by the projection: it starts at 1 and strictly
    increases in commit order, so a reader of the change feed that resumes with
    `after=<last seq>` never misses an event. `source` names the history row the event
    came from, which makes projecting the same row twice a no-op. The accreditation's
    scope and validity are copied in, so a point-in-time answer is read from events only.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    type = models.CharField(max_length=20, choices=EventType.choices)
    provider = models.ForeignKey(
        "accreditation.Provider", on_delete=models.PROTECT, related_name="registry_events"
    )
    accreditation_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, null=True, blank=True)
    application_id = models.PositiveBigIntegerField(null=True, blank=True)
    decision_id = models.PositiveBigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=30, blank=True)
    course_id = models.PositiveBigIntegerField(null=True, blank=True)
    eqf_levels = models.JSONField(default=list, blank=True)
    isced_fields = models.JSONField(default=list, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=60, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["provider", "at", "seq"], name="registry_event_provider_at")
        ]

    def __str__(self):
        return f"#{self.seq} {self.type} provider {self.provider_id}"


class RegistryProvider(models.Model):
    """The current public view of one provider, rebuilt from its events.

    `search_text` (lower-case name and identifiers) is indexed with trigrams on
    PostgreSQL; `facets` is a `|key:value|` string so the filters are one portable
    LIKE each (status of any accreditation, EQF levels, ISCED-F fields, `eqf:*` when an
    institutional accreditation sets no level limit).
    """

    provider = models.OneToOneField(
        "accreditation.Provider",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="registry_entry",
    )
    legal_name = models.CharField(max_length=300)
    country = models.CharField(max_length=2, db_index=True)
    type = models.CharField(max_length=20, blank=True)
    website = models.URLField(blank=True)
    identifiers = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True)
    facets = models.TextField(blank=True)
    status = models.CharField(max_length=20, default="none")
    eqf_levels = models.JSONField(default=list, blank=True)
    isced_fields = models.JSONField(default=list, blank=True)
    accreditations = models.JSONField(default=list, blank=True)
    courses = models.JSONField(default=list, blank=True)
    decisions = models.JSONField(default=list, blank=True)
    timeline = models.TextField(
        default=EMPTY_TIMELINE,
        help_text="What verify answers from: the accreditations at every instant the "
        "provider's events changed them (registry.services.timeline_json).",
    )
    identities = models.TextField(
        default=EMPTY_IDENTITIES,
        help_text="Who the provider was at every moment, which verify answers with: its "
        "identity periods (registry.services.identities_json).",
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(help_text="Time of the newest event (Last-Modified).")
    refreshed_at = models.DateTimeField(
        null=True, help_text="When the row was last rebuilt (profile edits are caught up)."
    )

    class Meta:
        ordering = ["legal_name", "provider_id"]
        indexes = [models.Index(fields=["legal_name", "provider"], name="registry_provider_name")]

    def __str__(self):
        return self.legal_name


class SigningKey(models.Model):
    """A registry signing key. The private half is stored encrypted with a key derived
    from REGISTRY_KEY_SECRET (or SECRET_KEY); public halves stay published after
    rotation so that answers signed earlier remain verifiable."""

    class Algorithm(models.TextChoices):
        EDDSA = "EdDSA", "EdDSA (Ed25519)"

    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=10, choices=Algorithm.choices, default="EdDSA")
    public_jwk = models.JSONField()
    private_key_encrypted = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=False)
    activates_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A pre-announced (next) key starts signing at this moment, not before.",
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_active_signing_key"
            )
        ]

    def __str__(self):
        return self.kid

    @property
    def state(self):
        """`next` (published, not signing yet), `active` (the signer) or `retired`."""
        if self.active:
            return "active"
        return "retired" if self.retired_at else "next"


class StatusListIndex(models.Model):
    """The position of one accreditation in the status lists (W3C Bitstring Status
    List): allocated once, when the accreditation is created, and never reused.

    The index is the row's own auto-increment key, so two accreditations created at the
    same moment in two transactions can never get the same one, and a number is never
    handed out again (PostgreSQL sequences and SQLite AUTOINCREMENT both skip numbers
    ever used). Accreditations are public records, so sequential numbers reveal
    nothing a verifier could not read in the registry anyway.
    """

    index = models.BigAutoField(primary_key=True)
    accreditation = models.OneToOneField(
        "accreditation.Accreditation", on_delete=models.PROTECT, related_name="status_list_index"
    )
    allocated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"status list index {self.index} (accreditation {self.accreditation_id})"
