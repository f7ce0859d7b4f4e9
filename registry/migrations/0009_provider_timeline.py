"""Each provider's answer timeline, which verify reads instead of replaying its events.

The rows that exist get theirs from their events here, so verify answers as before
from the first request after the migration.
"""

from django.db import migrations, models

BATCH = 2000


def build_existing(apps, schema_editor):
    from registry.services import timeline_json

    RegistryProvider = apps.get_model("registry", "RegistryProvider")
    RegistryEvent = apps.get_model("registry", "RegistryEvent")
    ids = list(RegistryProvider.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        events = {pk: [] for pk in batch}
        for event in RegistryEvent.objects.filter(provider_id__in=batch).order_by("at", "seq"):
            events[event.provider_id].append(event)
        rows = [RegistryProvider(pk=pk, timeline=timeline_json(evs)) for pk, evs in events.items()]
        RegistryProvider.objects.bulk_update(rows, ["timeline"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0008_status_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="registryprovider",
            name="timeline",
            field=models.TextField(
                default='{"at":[],"states":[],"accs":[]}',
                help_text="What verify answers from: the accreditations at every instant the "
                "provider's events changed them (registry.services.timeline_json).",
            ),
        ),
        migrations.RunPython(build_existing, migrations.RunPython.noop, elidable=True),
    ]
