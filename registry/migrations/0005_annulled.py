import datetime

from django.db import migrations, models


def published_revocations_on_appeal_become_annulments(apps, schema_editor):
    """The events projected from the log rows that accreditation 0004 turned from
    `revoke` into `annul` say so too, and the providers' rows are rebuilt by the next
    projection run (their refresh time is set before any change)."""
    AccreditationTransition = apps.get_model("accreditation", "AccreditationTransition")
    RegistryEvent = apps.get_model("registry", "RegistryEvent")
    RegistryProvider = apps.get_model("registry", "RegistryProvider")
    sources = [
        f"acc-log:{pk}"
        for pk in AccreditationTransition.objects.filter(transition="annul").values_list(
            "pk", flat=True
        )
    ]
    events = RegistryEvent.objects.filter(source__in=sources, type="revoke")
    providers = set(events.values_list("provider_id", flat=True))
    events.update(type="annul", status="annulled")
    RegistryProvider.objects.filter(provider_id__in=providers).update(
        refreshed_at=datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_search_terms_index"),
        ("accreditation", "0004_accreditation_annulled"),
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
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(
            published_revocations_on_appeal_become_annulments, migrations.RunPython.noop
        ),
    ]
