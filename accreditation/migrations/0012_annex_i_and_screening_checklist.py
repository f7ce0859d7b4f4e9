"""Annex I as the Recommendation says it: the level "if applicable", the workload in ECTS
"wherever possible" (else hours), supervision and identity verification as one of three
fixed options; accreditation limits validated; the coordinator's screening checklist.

Existing free-text supervision is mapped to an option where the text clearly says one
(`supervision_option`, rules below); any other text is kept, appended to the course's
further information under `KEPT_PREFIX`, and the option left empty (null). Reversing
puts the option's label (or the kept text) back as free text. Frozen course versions
are history and keep what they froze.
"""

import re
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accreditation.models

UNSUPERVISED_NO_ID = "unsupervised_no_identity_verification"
SUPERVISED_NO_ID = "supervised_no_identity_verification"
SUPERVISED_WITH_ID = "supervised_with_identity_verification"
# The options' labels as this migration wrote them (a migration does not follow later code).
LABELS = {
    UNSUPERVISED_NO_ID: "Unsupervised, no identity verification",
    SUPERVISED_NO_ID: "Supervised, no identity verification",
    SUPERVISED_WITH_ID: "Supervised with identity verification, on-site or online",
}
KEPT_PREFIX = "Supervision and identity verification during assessment: "

_NO_SUPERVISION = re.compile(
    r"\b(?:unsupervised|unproctored|uninvigilated|self-assessed"
    r"|not (?:supervised|proctored|invigilated)"
    r"|no (?:supervision|proctoring|invigilation|proctor|invigilator)"
    r"|without (?:supervision|proctoring|invigilation|a proctor|an invigilator))\b"
)
_SUPERVISION = re.compile(
    r"\b(?:supervised|supervision|supervisor|proctored|proctoring|proctor"
    r"|invigilated|invigilation|invigilator)\b"
)
_NO_IDENTITY = re.compile(
    r"\b(?:(?:no|without) (?:identity|id|identification)(?: verification| checks?)?"
    r"|(?:identity|id)(?: verification| checks?)? (?:is |are )?not "
    r"(?:verified|checked|required|performed|done)"
    r"|anonymous(?:ly)?)\b"
)
_IDENTITY = re.compile(
    r"\b(?:identity|identification|id (?:check|checks|checked|verification|card|document)"
    r"|photo id|passport|identity card)\b"
)


def supervision_option(text):
    """The option a free-text statement clearly says, or None when it says none or is
    ambiguous. The rules, on the text in lower case:

    - the text is an option's code or label: that option;
    - it denies supervision ("unsupervised", "no proctoring", "not invigilated", ...)
      and says nothing of supervision otherwise: unsupervised, no identity verification
      (the only unsupervised option), unless it also says the identity is verified;
    - it says there is supervision (supervised, proctored, invigilated, ...) and that
      the identity is verified (identity, ID check, photo ID, passport, ...): supervised
      with identity verification; and that it is not ("no ID check", "anonymous"):
      supervised, no identity verification; and nothing of identity: None (not clear);
    - a text that both affirms and denies supervision, or identity: None.
    """
    value = " ".join((text or "").lower().split())
    if not value:
        return None
    for code, label in LABELS.items():
        if value in (code, label.lower()):
            return code
    denies_supervision = bool(_NO_SUPERVISION.search(value))
    supervised = bool(_SUPERVISION.search(_NO_SUPERVISION.sub(" ", value)))
    denies_identity = bool(_NO_IDENTITY.search(value))
    identity = bool(_IDENTITY.search(_NO_IDENTITY.sub(" ", value)))
    if (denies_supervision and supervised) or (denies_identity and identity):
        return None
    if denies_supervision:
        return None if identity else UNSUPERVISED_NO_ID
    if supervised:
        if identity:
            return SUPERVISED_WITH_ID
        if denies_identity:
            return SUPERVISED_NO_ID
    return None


def keep_in_further_information(further, text):
    """The further information with the unmapped supervision text appended."""
    kept = KEPT_PREFIX + text.strip()
    return f"{further.rstrip()}\n\n{kept}" if further.strip() else kept


def supervision_to_options(apps, schema_editor):
    """Map every course's free-text supervision to an option, or keep the text in its
    further information and leave the option null."""
    Course = apps.get_model("accreditation", "Course")
    for course in Course.objects.only(
        "pk", "supervision_identity_verification", "further_information"
    ):
        text = course.supervision_identity_verification or ""
        option = supervision_option(text)
        further = course.further_information
        if option is None and text.strip():
            further = keep_in_further_information(further, text)
        Course.objects.filter(pk=course.pk).update(
            supervision_identity_verification=option, further_information=further
        )


def options_to_supervision(apps, schema_editor):
    """Back to free text: an option becomes its label; a text kept in the further
    information goes back where it came from."""
    Course = apps.get_model("accreditation", "Course")
    for course in Course.objects.only(
        "pk", "supervision_identity_verification", "further_information"
    ):
        option = course.supervision_identity_verification
        further = course.further_information
        text = LABELS.get(option, option or "")
        if not option:
            head, sep, kept = further.rpartition(KEPT_PREFIX)
            if sep and (not head or head.endswith("\n\n")):
                text, further = kept, head[:-2] if head else ""
        Course.objects.filter(pk=course.pk).update(
            supervision_identity_verification=text, further_information=further
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0011_document_kind_site_visit_minutes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
            name="level_not_applicable",
            field=models.BooleanField(
                default=False,
                help_text="No EQF level and no QF-EHEA cycle apply (Annex I: if applicable).",
            ),
        ),
        migrations.AddField(
            model_name="course",
            name="workload_hours",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                help_text="The notional workload in hours, only when ECTS do not apply.",
                max_digits=7,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0.01"))],
            ),
        ),
        migrations.AlterField(
            model_name="accreditation",
            name="eqf_levels",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="EQF levels covered (institutional scope; empty: all).",
                validators=[accreditation.models.validate_eqf_levels],
            ),
        ),
        migrations.AlterField(
            model_name="accreditation",
            name="isced_fields",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="ISCED-F fields covered (empty: all).",
                validators=[accreditation.models.validate_isced_fields],
            ),
        ),
        migrations.AlterField(
            model_name="course",
            name="supervision_identity_verification",
            field=models.TextField(blank=True, null=True),
        ),
        migrations.RunPython(supervision_to_options, options_to_supervision),
        migrations.AlterField(
            model_name="course",
            name="supervision_identity_verification",
            field=models.CharField(
                blank=True,
                choices=[
                    (
                        "unsupervised_no_identity_verification",
                        "Unsupervised, no identity verification",
                    ),
                    ("supervised_no_identity_verification", "Supervised, no identity verification"),
                    (
                        "supervised_with_identity_verification",
                        "Supervised with identity verification, on-site or online",
                    ),
                ],
                max_length=40,
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("workload_hours__isnull", True), ("workload_hours__gt", 0), _connector="OR"
                ),
                name="course_workload_hours_positive",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("workload_hours__isnull", True),
                    ("workload_ects__isnull", True),
                    _connector="OR",
                ),
                name="course_workload_ects_or_hours",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("level_not_applicable", False),
                    models.Q(("eqf_level__isnull", True), ("qf_ehea_cycle__isnull", True)),
                    _connector="OR",
                ),
                name="course_no_level_when_not_applicable",
            ),
        ),
        migrations.AddConstraint(
            model_name="course",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("supervision_identity_verification__isnull", True),
                    (
                        "supervision_identity_verification__in",
                        (
                            "unsupervised_no_identity_verification",
                            "supervised_no_identity_verification",
                            "supervised_with_identity_verification",
                        ),
                    ),
                    _connector="OR",
                ),
                name="course_supervision_option_valid",
            ),
        ),
        migrations.CreateModel(
            name="ScreeningChecklist",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("items", models.JSONField(blank=True, default=dict)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="screening_checklist",
                        to="accreditation.application",
                    ),
                ),
                (
                    "updated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
