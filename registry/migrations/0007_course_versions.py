"""Events about courses name the course by its public uid and the number of the course
version concerned (accreditation 0008 pinned every submitted application to version 1);
events projected before carry both from here on, so the change feed says the same of
old and new events. On PostgreSQL the course versions, which verify now reads, notify
the verify cache like the other tables it reads (registry 0003)."""

from django.db import migrations


def events_name_the_course_and_its_version(apps, schema_editor):
    RegistryEvent = apps.get_model("registry", "RegistryEvent")
    Course = apps.get_model("accreditation", "Course")
    Application = apps.get_model("accreditation", "Application")
    events = RegistryEvent.objects.filter(course_id__isnull=False).order_by("pk")
    course_ids = set(events.values_list("course_id", flat=True))
    uids = dict(Course.objects.filter(pk__in=course_ids).values_list("pk", "uid"))
    numbers = dict(
        Application.objects.filter(course_id__in=course_ids, course_version__isnull=False)
        .values_list("pk", "course_version__number")
    )
    changed = []
    for event in events.iterator(2000):
        data = dict(event.data or {})
        data.setdefault("course_uid", str(uids[event.course_id]) if event.course_id in uids else None)
        data.setdefault("course_version", numbers.get(event.application_id))
        event.data = data
        changed.append(event)
        if len(changed) == 2000:
            RegistryEvent.objects.bulk_update(changed, ["data"])
            changed = []
    RegistryEvent.objects.bulk_update(changed, ["data"])


def notify_on_versions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("accreditation", "CourseVersion")._meta.db_table
    schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")
    schema_editor.execute(
        "CREATE TRIGGER registry_verify_notify "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION registry_verify_notify()"
    )


def drop_notify_on_versions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("accreditation", "CourseVersion")._meta.db_table
    schema_editor.execute(f"DROP TRIGGER IF EXISTS registry_verify_notify ON {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_identity_event"),
        ("accreditation", "0008_course_versions"),
    ]

    operations = [
        migrations.RunPython(events_name_the_course_and_its_version, migrations.RunPython.noop),
        migrations.RunPython(notify_on_versions, drop_notify_on_versions),
    ]
