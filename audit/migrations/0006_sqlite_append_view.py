"""SQLite: one statement for an append's writes, as on PostgreSQL.

PostgreSQL inserts the entries and the tree nodes and moves the chain head in
one statement (data-modifying CTEs, audit.services._write_append). SQLite has
no such CTEs; an INSERT into the view ``audit_append`` does the same through
its INSTEAD OF trigger, row by row in the order inserted: the row's entry (its
id given by the appender, which holds the database's write lock), the tree
nodes it carries (a JSON array of [level, index, hash]) and, on the row that
carries them, the head's new seq, hash and frontier. The view has the entry
table's columns as this migration sees them: a migration that changes
audit_auditentry's columns recreates the view and the trigger (every append
would fail otherwise)."""
from django.db import migrations

EXTRA = ("nodes", "head_seq", "head_hash", "head_frontier")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    entry = apps.get_model("audit", "AuditEntry")
    qn = schema_editor.quote_name
    columns = [qn(f.column) for f in entry._meta.concrete_fields]
    table = qn(entry._meta.db_table)
    nulls = ", ".join(f"NULL AS {qn(name)}" for name in EXTRA)
    schema_editor.execute(f"CREATE VIEW audit_append AS SELECT {', '.join(columns)}, {nulls} FROM {table} WHERE 0")
    schema_editor.execute(
        f"""CREATE TRIGGER audit_append_insert INSTEAD OF INSERT ON audit_append
        BEGIN
          INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('NEW.' + c for c in columns)});
          INSERT INTO audit_audittreenode ("level", "index", "hash")
            SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')
            FROM json_each(COALESCE(NEW.nodes, '[]'));
          UPDATE audit_auditchainhead SET seq = NEW.head_seq, hash = NEW.head_hash, frontier = NEW.head_frontier
            WHERE id = 1 AND NEW.head_seq IS NOT NULL;
        END""")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS audit_append_insert")
    schema_editor.execute("DROP VIEW IF EXISTS audit_append")


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_archive")]

    operations = [migrations.RunPython(create, drop)]
