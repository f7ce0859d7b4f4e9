"""PostgreSQL refuses to change or delete a row of the audit and transition logs.

The application already treats these tables as append-only; the database trigger makes
the rule hold for anything else that connects (a shell, a script, a faulty migration).
TRUNCATE (used only to wipe a whole test database) is not affected. SQLite keeps the
application-level rule only.
"""

from django.db import migrations

LOG_TABLES = (
    "core_auditevent",
    "accreditation_applicationtransition",
    "accreditation_accreditationtransition",
)

FUNCTION = """
CREATE OR REPLACE FUNCTION mcqa_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table in LOG_TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION mcqa_refuse_log_change()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in LOG_TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS mcqa_refuse_log_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("accreditation", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
