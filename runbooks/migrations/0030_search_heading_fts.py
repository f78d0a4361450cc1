"""SQLite: a second FTS5 table over the entries' title, alert names and tags only, so that
search can take the heading matches first without reading every match's positions in the
full table (issue 32). PostgreSQL has the `heading` vector and its GIN index (0016)."""

from django.db import migrations

COLUMNS = "title, names, tags"
UP = [
    f"""CREATE VIRTUAL TABLE runbooks_search_heading_fts USING fts5(
        {COLUMNS}, content='runbooks_searchentry', content_rowid='document_id',
        tokenize='porter unicode61')""",
    f"""CREATE TRIGGER runbooks_search_heading_ai AFTER INSERT ON runbooks_searchentry BEGIN
        INSERT INTO runbooks_search_heading_fts(rowid, {COLUMNS})
        VALUES (new.document_id, new.title, new.names, new.tags); END""",
    f"""CREATE TRIGGER runbooks_search_heading_ad AFTER DELETE ON runbooks_searchentry BEGIN
        INSERT INTO runbooks_search_heading_fts(runbooks_search_heading_fts, rowid, {COLUMNS})
        VALUES ('delete', old.document_id, old.title, old.names, old.tags); END""",
    f"""CREATE TRIGGER runbooks_search_heading_au AFTER UPDATE ON runbooks_searchentry BEGIN
        INSERT INTO runbooks_search_heading_fts(runbooks_search_heading_fts, rowid, {COLUMNS})
        VALUES ('delete', old.document_id, old.title, old.names, old.tags);
        INSERT INTO runbooks_search_heading_fts(rowid, {COLUMNS})
        VALUES (new.document_id, new.title, new.names, new.tags); END""",
    "INSERT INTO runbooks_search_heading_fts(runbooks_search_heading_fts) VALUES ('rebuild')",
]
DOWN = [
    "DROP TRIGGER IF EXISTS runbooks_search_heading_au",
    "DROP TRIGGER IF EXISTS runbooks_search_heading_ad",
    "DROP TRIGGER IF EXISTS runbooks_search_heading_ai",
    "DROP TABLE IF EXISTS runbooks_search_heading_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("runbooks", "0029_alert_by_status_start"),
    ]

    operations = [migrations.RunPython(_run(UP), _run(DOWN))]
