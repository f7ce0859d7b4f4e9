"""Each provider's identity periods on its registry row, which verify reads instead of
joining `ProviderIdentity` in its query.

The rows that exist get theirs here, so verify answers as before from the first
request after the migration.
"""

from django.db import migrations, models

BATCH = 2000


def build_existing(apps, schema_editor):
    from registry.services import identities_json

    RegistryProvider = apps.get_model("registry", "RegistryProvider")
    ProviderIdentity = apps.get_model("accreditation", "ProviderIdentity")
    ids = list(RegistryProvider.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        periods = {pk: [] for pk in batch}
        for period in ProviderIdentity.objects.filter(provider_id__in=batch):
            periods[period.provider_id].append(period)
        rows = []
        for row in RegistryProvider.objects.filter(pk__in=batch):
            current = (row.legal_name, row.country, row.identifiers)
            row.identities = identities_json(periods[row.pk], current)
            rows.append(row)
        RegistryProvider.objects.bulk_update(rows, ["identities"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0007_identity_change_requests"),
        ("registry", "0009_provider_timeline"),
    ]

    operations = [
        migrations.AddField(
            model_name="registryprovider",
            name="identities",
            field=models.TextField(
                default="[]",
                help_text="Who the provider was at every moment, which verify answers with: "
                "its identity periods (registry.services.identities_json).",
            ),
        ),
        migrations.RunPython(build_existing, migrations.RunPython.noop, elidable=True),
    ]
