"""PostgreSQL only: a full-text (GIN) index of every suffix of every word of
`search_text`, so that "this word appears in the name or an identifier" (a substring
match) is one index probe: `word` is a substring of a token exactly when some suffix of
the token starts with it, which is the tsquery `'word':*`.

The suffixes live in a generated column `search_terms` that PostgreSQL computes on
every write (the model does not know it; SQLite has none): an index on the expression
alone would make PostgreSQL recompute the suffixes of every candidate row it rechecks.
Each suffix is indexed up to 32 characters (enough to find any word up to that
length; search_filter leaves longer words to the substring match), which bounds the
column at 32 entries per character of `search_text`. Tokens are split at ASCII white
space only, which query words never contain
(registry.api.search_filter splits them at any white space), so no match inside a
token is lost. The substring LIKE stays in every query as the definition; this index
finds the candidates faster than the trigram index does when their trigrams are
common (`example.org`, frequent words)."""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION registry_search_terms(text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(coalesce(array(
        SELECT DISTINCT substr(token, start, 32)
        FROM regexp_split_to_table($1, '[ \t\n\r\f\v]+') AS token,
             generate_series(1, length(token)) AS start
        WHERE token <> ''
    ), '{}'))
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(
        "ALTER TABLE registry_registryprovider ADD COLUMN IF NOT EXISTS search_terms tsvector "
        "GENERATED ALWAYS AS (registry_search_terms(search_text)) STORED"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS registry_provider_search_terms "
        "ON registry_registryprovider USING gin (search_terms)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS registry_provider_search_terms")
    schema_editor.execute("ALTER TABLE registry_registryprovider DROP COLUMN IF EXISTS search_terms")
    schema_editor.execute("DROP FUNCTION IF EXISTS registry_search_terms(text)")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_verify_cache_notify")]

    operations = [migrations.RunPython(create, drop)]
