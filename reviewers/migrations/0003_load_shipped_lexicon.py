"""Load the shipped lexicon (reviewers/precheck/data/*.csv) into LexiconEntry.

Uses the historical models (apps.get_model) and the pure pre-check package
only. Entries already present (same wrong form and dimension) are left as they
are, so running it on a database whose administrators edited the lexicon keeps
their edits.
"""
import uuid

from django.db import migrations


def load(apps, schema_editor):
    from reviewers.precheck import load_shipped_lexicon

    LexiconEntry = apps.get_model("reviewers", "LexiconEntry")
    LexiconState = apps.get_model("reviewers", "LexiconState")
    present = set(LexiconEntry.objects.values_list("wrong", "dimension"))
    rows = []
    for entry in load_shipped_lexicon().entries:
        if (entry.wrong, entry.dimension) in present:
            continue
        present.add((entry.wrong, entry.dimension))
        rows.append(LexiconEntry(wrong=entry.wrong, right=entry.right, dimension=entry.dimension,
                                 severity=entry.severity, note=entry.note, enabled=entry.enabled,
                                 origin="shipped"))
    LexiconEntry.objects.bulk_create(rows, batch_size=500)
    state = LexiconState.objects.filter(pk=1).first()
    if state is None:
        LexiconState.objects.create(pk=1, version=1, token=uuid.uuid4().hex)
    elif rows:
        LexiconState.objects.filter(pk=1).update(version=state.version + 1, token=uuid.uuid4().hex)


def unload(apps, schema_editor):
    apps.get_model("reviewers", "LexiconEntry").objects.filter(origin="shipped").delete()
    apps.get_model("reviewers", "LexiconState").objects.filter(pk=1).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reviewers", "0002_precheck"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
