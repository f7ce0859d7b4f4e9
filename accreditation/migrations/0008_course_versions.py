from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery

# The course attributes a version freezes, as accreditation.versions.SNAPSHOT_FIELDS read
# them when this migration was written (a migration does not follow later code).
FIELDS = (
    "title",
    "country",
    "awarding_body",
    "learning_outcomes",
    "workload_ects",
    "eqf_level",
    "qf_ehea_cycle",
    "assessment_type",
    "participation_form",
    "quality_assurance",
    "prerequisites",
    "supervision_identity_verification",
    "grading",
    "stackability",
    "further_information",
    "isced_f",
    "languages",
)


def _elements(course):
    values = {}
    for name in FIELDS:
        if name == "country":
            value = course.provider.country
        elif name == "awarding_body":
            value = course.provider.legal_name
        else:
            value = getattr(course, name)
        if name == "workload_ects" and value is not None:
            value = str(Decimal(value).quantize(Decimal("0.01")))
        values[name] = value
    return values


def every_course_gets_version_1(apps, schema_editor):
    """Every existing course is frozen into version 1, in force since the course was
    created; applications already submitted (past `submit`) and the accreditations
    their decisions created are pinned to it."""
    Course = apps.get_model("accreditation", "Course")
    CourseVersion = apps.get_model("accreditation", "CourseVersion")
    Application = apps.get_model("accreditation", "Application")
    Accreditation = apps.get_model("accreditation", "Accreditation")
    batch = []
    for course in Course.objects.select_related("provider").order_by("pk").iterator(2000):
        batch.append(
            CourseVersion(
                course_id=course.pk,
                number=1,
                elements=_elements(course),
                title=course.title,
                eqf_level=course.eqf_level,
                isced_f=course.isced_f,
                valid_from=course.created_at,
            )
        )
        if len(batch) == 2000:
            CourseVersion.objects.bulk_create(batch)
            batch = []
    CourseVersion.objects.bulk_create(batch)
    first = Subquery(
        CourseVersion.objects.filter(course_id=OuterRef("course_id"), number=1).values("pk")[:1]
    )
    Application.objects.filter(course__isnull=False).filter(
        Q(submitted_at__isnull=False) | ~Q(state__in=["draft", "withdrawn"])
    ).update(course_version=first)
    Accreditation.objects.filter(course__isnull=False).update(course_version=first)


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0007_identity_change_requests"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CourseVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("elements", models.JSONField()),
                ("title", models.CharField(max_length=300)),
                ("eqf_level", models.PositiveSmallIntegerField(blank=True, null=True)),
                ("isced_f", models.CharField(blank=True, max_length=4)),
                ("valid_from", models.DateTimeField()),
                ("valid_until", models.DateTimeField(blank=True, null=True)),
                (
                    "course",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="versions",
                        to="accreditation.course",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["course_id", "number"],
            },
        ),
        migrations.AddField(
            model_name="accreditation",
            name="course_version",
            field=models.ForeignKey(
                blank=True,
                help_text="The course's version its decision approved (its application's).",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="accreditations",
                to="accreditation.courseversion",
            ),
        ),
        migrations.AddField(
            model_name="application",
            name="course_version",
            field=models.ForeignKey(
                blank=True,
                help_text="The course's version pinned at submit: what the review assesses.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="applications",
                to="accreditation.courseversion",
            ),
        ),
        migrations.AddIndex(
            model_name="courseversion",
            index=models.Index(fields=["course", "valid_from"], name="course_version_as_of"),
        ),
        migrations.AddConstraint(
            model_name="courseversion",
            constraint=models.UniqueConstraint(
                fields=("course", "number"), name="course_version_number"
            ),
        ),
        migrations.AddConstraint(
            model_name="courseversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("valid_until__isnull", True)),
                fields=("course",),
                name="one_course_version_in_force",
            ),
        ),
        migrations.AddConstraint(
            model_name="courseversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("valid_until__isnull", True),
                    ("valid_until__gte", models.F("valid_from")),
                    _connector="OR",
                ),
                name="course_version_period_ordered",
            ),
        ),
        migrations.AddConstraint(
            model_name="courseversion",
            constraint=models.CheckConstraint(
                condition=models.Q(("number__gte", 1)), name="course_version_from_one"
            ),
        ),
        migrations.RunPython(every_course_gets_version_1, migrations.RunPython.noop),
    ]
