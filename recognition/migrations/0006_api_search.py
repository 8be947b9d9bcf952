"""A full-text index on jobs' text for ?search= (recognition/selectors.py pages_matching),
on PostgreSQL only: SQLite has no full-text operator and searches by substring."""

from django.db import migrations

INDEX = "job_text_search"
# The expression Django writes for SearchVector("text", config="simple"): a query uses
# the index only when its expression is the same.
CREATE = (f"CREATE INDEX IF NOT EXISTS {INDEX} ON recognition_job "
          "USING gin (to_tsvector('simple'::regconfig, COALESCE(text, '')))")
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("recognition", "0005_line_review")]

    operations = [migrations.RunPython(create_index, drop_index)]
