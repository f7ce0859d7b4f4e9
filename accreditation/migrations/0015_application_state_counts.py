"""The number of applications in each state, kept by the writes (issue 18.9): the table,
and its rows counted from the applications there are. The count is taken with the
applications' table locked against writes on PostgreSQL (SHARE mode: reads go on), so
no case created or moved while the migration runs is missed; once the migration has
committed, the code that keeps the counts is the code that runs."""

from django.db import migrations, models
from django.db.models import Count

STATES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("screening", "Screening"),
    ("returned", "Returned for completion"),
    ("in_review", "In review"),
    ("clarification_requested", "Clarification requested"),
    ("factual_check", "Factual-accuracy check"),
    ("decision_pending", "Decision pending"),
    ("accredited", "Accredited"),
    ("conditionally_accredited", "Accredited with conditions"),
    ("rejected", "Rejected"),
    ("appealed", "Appealed"),
    ("withdrawn", "Withdrawn"),
]


def count_states(apps, schema_editor):
    Application = apps.get_model("accreditation", "Application")
    ApplicationStateCount = apps.get_model("accreditation", "ApplicationStateCount")
    db = schema_editor.connection.alias
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.connection.ops.quote_name(Application._meta.db_table)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE MODE")
    counts = dict(
        Application.objects.using(db).order_by().values_list("state").annotate(n=Count("pk"))
    )
    states = [value for value, _ in STATES]
    states += sorted(set(counts) - set(states))
    ApplicationStateCount.objects.using(db).bulk_create(
        [ApplicationStateCount(state=state, n=counts.get(state, 0)) for state in states]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0014_report_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="ApplicationStateCount",
            fields=[
                (
                    "state",
                    models.CharField(
                        choices=STATES,
                        max_length=50,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("n", models.IntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_states, migrations.RunPython.noop),
    ]
