import uuid

from django.db import migrations, models


def give_each_course_a_uid(apps, schema_editor):
    """Existing courses get their public identifier, one each."""
    Course = apps.get_model("accreditation", "Course")
    for pk in Course.objects.values_list("pk", flat=True).iterator():
        Course.objects.filter(pk=pk).update(uid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0005_identifier_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="course",
            name="uid",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_each_course_a_uid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="course",
            name="uid",
            field=models.UUIDField(
                default=uuid.uuid4,
                editable=False,
                help_text="The course's public identifier, stable across its versions.",
                unique=True,
            ),
        ),
    ]
