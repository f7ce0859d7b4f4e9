"""Identity change events, and (PostgreSQL only) the verify cache's NOTIFY trigger on
the providers' identity history, which verify now reads as well (see 0003)."""

from django.db import migrations, models


def notify_on_identity(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("accreditation", "ProviderIdentity")._meta.db_table
    schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")
    schema_editor.execute(
        "CREATE TRIGGER registry_verify_notify "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION registry_verify_notify()"
    )


def drop_notify_on_identity(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("accreditation", "ProviderIdentity")._meta.db_table
    schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_annulled"),
        ("accreditation", "0007_identity_change_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="registryevent",
            name="type",
            field=models.CharField(
                choices=[
                    ("decision", "Decision taken"),
                    ("create", "Accreditation created"),
                    ("suspend", "Suspended"),
                    ("reinstate", "Reinstated"),
                    ("revoke", "Revoked"),
                    ("expire", "Expired"),
                    ("annul", "Annulled on appeal"),
                    ("conditions_met", "Conditions met"),
                    ("annulled", "Decision annulled on appeal"),
                    ("report", "Report published"),
                    ("identity", "Identity changed (name, country or identifiers)"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(notify_on_identity, drop_notify_on_identity),
    ]
