import django_fsm
from django.db import migrations



def revoked_by_appeal_becomes_annulled(apps, schema_editor):
    """Before `annul` existed an upheld appeal revoked the accreditation (its log row
    carries the appeal). Such an accreditation was never revoked: the provider won its
    appeal. Its status and that log row now say `annulled`, as the design requires."""
    Accreditation = apps.get_model("accreditation", "Accreditation")
    AccreditationTransition = apps.get_model("accreditation", "AccreditationTransition")
    rows = AccreditationTransition.objects.filter(transition="revoke", payload__has_key="appeal")
    ids = list(rows.values_list("pk", flat=True))
    accreditation_ids = list(rows.values_list("accreditation_id", flat=True))
    AccreditationTransition.objects.filter(pk__in=ids).update(
        transition="annul", to_state="annulled"
    )
    Accreditation.objects.filter(pk__in=accreditation_ids, status="revoked").update(
        status="annulled"
    )


def annulled_back_to_revoked(apps, schema_editor):
    Accreditation = apps.get_model("accreditation", "Accreditation")
    AccreditationTransition = apps.get_model("accreditation", "AccreditationTransition")
    rows = AccreditationTransition.objects.filter(transition="annul")
    Accreditation.objects.filter(
        pk__in=rows.values("accreditation_id"), status="annulled"
    ).update(status="revoked")
    rows.update(transition="revoke", to_state="revoked")


class Migration(migrations.Migration):
    dependencies = [
        ("accreditation", "0003_transition_log"),
    ]

    operations = [
        migrations.AlterField(
            model_name="accreditation",
            name="status",
            field=django_fsm.FSMField(
                choices=[
                    ("active", "Active"),
                    ("suspended", "Suspended"),
                    ("revoked", "Revoked"),
                    ("expired", "Expired"),
                    ("annulled", "Annulled on appeal"),
                ],
                db_index=True,
                default="active",
                max_length=50,
                protected=True,
            ),
        ),
        migrations.RunPython(revoked_by_appeal_becomes_annulled, annulled_back_to_revoked),
    ]
