"""Status-list indexes (W3C Bitstring Status List) and pre-announced signing keys.

Every accreditation that exists already gets its index here, in id order, so the
status lists cover the whole registry from the first request; new ones get theirs when
they are created (registry/receivers.py).
"""

import django.db.models.deletion
from django.db import migrations, models


def allocate_existing(apps, schema_editor):
    Accreditation = apps.get_model("accreditation", "Accreditation")
    StatusListIndex = apps.get_model("registry", "StatusListIndex")
    ids = Accreditation.objects.order_by("pk").values_list("pk", flat=True)
    StatusListIndex.objects.bulk_create(
        [StatusListIndex(accreditation_id=pk) for pk in ids.iterator(chunk_size=2000)],
        batch_size=2000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accreditation', '0008_course_versions'),
        ('registry', '0007_course_versions'),
    ]

    operations = [
        migrations.AddField(
            model_name='signingkey',
            name='activates_at',
            field=models.DateTimeField(blank=True, help_text='A pre-announced (next) key starts signing at this moment, not before.', null=True),
        ),
        migrations.CreateModel(
            name='StatusListIndex',
            fields=[
                ('index', models.BigAutoField(primary_key=True, serialize=False)),
                ('allocated_at', models.DateTimeField(auto_now_add=True)),
                ('accreditation', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='status_list_index', to='accreditation.accreditation')),
            ],
            options={
                'ordering': ['index'],
            },
        ),
        migrations.RunPython(allocate_existing, migrations.RunPython.noop),
    ]
