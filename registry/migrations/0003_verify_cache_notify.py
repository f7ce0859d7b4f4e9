"""PostgreSQL only: NOTIFY `registry_verify` when a transaction that changed any table a
verify answer reads commits, so that every web process drops its cached answers
(registry.verify_cache). Statement triggers: one notification per statement whatever
its size, and PostgreSQL folds them into one per transaction (same channel, same
empty payload)."""

from django.db import migrations

TABLES = (
    ("registry", "RegistryEvent"),
    ("registry", "RegistryProvider"),
    ("accreditation", "ProviderIdentifier"),
    ("accreditation", "Course"),
)

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_verify_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('registry_verify', '');
    RETURN NULL;
END
$$
"""


def _tables(apps):
    return [apps.get_model(app, model)._meta.db_table for app, model in TABLES]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in _tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")
        schema_editor.execute(
            "CREATE TRIGGER registry_verify_notify "
            f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION registry_verify_notify()"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS registry_verify_notify()")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_trigram_search"),
        ("accreditation", "0002_reference_data"),
    ]

    operations = [migrations.RunPython(create, drop)]
