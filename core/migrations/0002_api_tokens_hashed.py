"""API tokens move from DRF's authtoken (the key stored as it is) to django-rest-knox
(only a digest stored): every existing key is hashed into a knox token that expires one
token lifetime (REST_KNOX["TOKEN_TTL"], default 30 days) after this migration, so
integrations keep working until then; the plain keys are then dropped with their table,
and authtoken's migration records go with them (its content type is left to
`manage.py remove_stale_contenttypes`)."""

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"


def hash_old_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    table = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        key = connection.ops.quote_name("key")
        cursor.execute(f"SELECT {key}, user_id FROM {table}")  # noqa: S608 - fixed names
        rows = cursor.fetchall()
    ttl = knox_settings.TOKEN_TTL
    expiry = timezone.now() + ttl if ttl is not None else None
    AuthToken.objects.using(connection.alias).bulk_create(
        AuthToken(
            digest=hash_token(old_key),
            token_key=old_key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
        )
        for old_key, user_id in rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(hash_old_tokens, migrations.RunPython.noop)]
