from django.db import migrations


def load(apps, schema_editor):
    from accreditation.reference_data import create_role_groups, load_frameworks

    load_frameworks(apps.get_model("accreditation", "Framework"),
                    apps.get_model("accreditation", "Standard"))
    create_role_groups(apps.get_model("auth", "Group"))


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
