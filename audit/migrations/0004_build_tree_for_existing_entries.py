"""Build the Merkle tree over the entries written before it existed, and
refuse UPDATE and DELETE of tree nodes with triggers, like the entries.

Existing installations hashed their chain with SHA-256, so their tree does
too. Entries are read in sequence order, in batches; the nodes are inserted
and the chain head gets the frontier.
"""
from django.db import migrations

from audit import merkle

SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_treenode_no_update BEFORE UPDATE ON audit_audittreenode
       BEGIN SELECT RAISE(ABORT, 'Merkle tree nodes are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_treenode_no_delete BEFORE DELETE ON audit_audittreenode
       BEGIN SELECT RAISE(ABORT, 'Merkle tree nodes are append-only'); END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_treenode_no_update;", "DROP TRIGGER IF EXISTS audit_treenode_no_delete;"]
POSTGRES_UP = [
    """CREATE TRIGGER audit_treenode_append_only BEFORE UPDATE OR DELETE ON audit_audittreenode
       FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();""",
]
POSTGRES_DOWN = ["DROP TRIGGER IF EXISTS audit_treenode_append_only ON audit_audittreenode;"]


def triggers(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def build_tree(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    AuditTreeNode = apps.get_model("audit", "AuditTreeNode")
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.seq == 0:
        return
    hasher = merkle.Hasher("sha256")
    frontier, size, batch = [], 0, []
    for payload in AuditEntry.objects.order_by("seq").values_list("payload", flat=True).iterator(chunk_size=5000):
        frontier, created = merkle.frontier_append(hasher, frontier, size, hasher.leaf(payload.encode("utf-8")))
        size += 1
        batch.extend(AuditTreeNode(level=level, index=index, hash=h.hex()) for level, index, h in created)
        if len(batch) >= 5000:
            AuditTreeNode.objects.bulk_create(batch)
            batch = []
    AuditTreeNode.objects.bulk_create(batch)
    AuditChainHead.objects.filter(pk=1).update(algorithm="sha256", frontier=[h.hex() for h in frontier])


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_merkle_tree_checkpoints_packs")]

    operations = [
        migrations.RunPython(build_tree, migrations.RunPython.noop),
        migrations.RunPython(triggers({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
                             triggers({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN})),
    ]
