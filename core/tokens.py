"""API tokens: issued per login, stored hashed, expiring, revocable, dead on a new password.

The tokens themselves are django-rest-knox's: the database keeps a SHA-512 digest and
the key's first characters (to find the row), never the key, so a copy of the database
authenticates nobody. This module holds the project's rules around them:

- every successful login at the token endpoint issues a new key (`token_issue`), which
  expires after `REST_KNOX["TOKEN_TTL"]` (`API_TOKEN_TTL_DAYS`, default 30);
- the holder revokes the key they present (`token_revoke`, `DELETE /api/v1/auth/token/`);
- a change of the password hash, by whatever path (the password-change and reset pages,
  the admin, `set_password` in a service or the shell), revokes every token of the user
  (`_note_password_change` / `_revoke_on_password_change`). A new password is how a
  person takes back what a lost token gave away, so it must not depend on the path.

Logging out of the web pages ends the browser session only: a token belongs to a script
or an integration that a browser logout knows nothing about, and it ends by expiry, by
`DELETE`, or with a new password.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from knox.models import get_token_model


def token_issue(*, user):
    """A new key for `user` (returned once, never stored) and its expiry."""
    instance, key = get_token_model().objects.create(user=user)
    return key, instance.expiry


def token_revoke(*, token):
    """Revoke one token (the knox row the request authenticated with)."""
    get_token_model().objects.filter(pk=token.pk).delete()


def tokens_revoke_all(*, user):
    """Revoke every token of `user`; returns how many there were."""
    deleted, _ = get_token_model().objects.filter(user=user).delete()
    return deleted


def _note_password_change(sender, instance, update_fields=None, **kwargs):
    """Before a user row is saved: note whether its password hash is about to change."""
    instance._mcqa_password_changed = False
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", flat=True)
    stored = stored.first()
    instance._mcqa_password_changed = stored is not None and stored != instance.password


def _revoke_on_password_change(sender, instance, created=False, **kwargs):
    """After the save: a changed password hash revokes every token of the user."""
    if created or not getattr(instance, "_mcqa_password_changed", False):
        return
    instance._mcqa_password_changed = False
    tokens_revoke_all(user=instance)


def connect_signals():
    """Called by `core.apps.CoreConfig.ready`."""
    user_model = get_user_model()
    pre_save.connect(_note_password_change, sender=user_model, dispatch_uid="mcqa-token-pw-pre")
    post_save.connect(
        _revoke_on_password_change, sender=user_model, dispatch_uid="mcqa-token-pw-post"
    )
