"""Each person's language (core.UserLanguage): chosen with the switcher while signed
in, set as the language cookie at sign-in, and the language of their e-mails."""

import core.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0002_api_tokens_hashed"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserLanguage",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="language_preference",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
                (
                    "language",
                    models.CharField(
                        choices=core.models.language_choices, max_length=10, verbose_name="language"
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="changed")),
            ],
            options={
                "verbose_name": "language preference",
                "verbose_name_plural": "language preferences",
            },
        ),
    ]
