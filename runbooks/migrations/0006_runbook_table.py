"""Runbook columns move from Document to their own table (multi-table inheritance).

The runbook row takes the document's id, so alert routes and alerts keep pointing at the same
ids; their foreign keys now name the runbook table. Nothing is lost: the old columns are first
renamed out of the way (a child may not have a field of its parent's name), every runbook
document gets its row with the values they held, and only then are they dropped.
"""

import django.db.models.deletion
from django.db import migrations, models

RUNBOOK_COLUMNS = (
    "component",
    "reviewed_at",
    "review_interval_days",
    "review_due_at",
    "source_name",
    "front_matter",
)


OLD = {column: f"old_{column}" for column in RUNBOOK_COLUMNS}


def copy_runbook_columns(apps, schema_editor):
    """One runbook row per runbook document, inserted into the child table alone."""
    Document = apps.get_model("runbooks", "Document")
    Runbook = apps.get_model("runbooks", "Runbook")
    rows = Document.objects.filter(kind="runbook").values("pk", *OLD.values())
    for row in rows.iterator():
        runbook = Runbook(document_ptr_id=row["pk"])
        for column, old in OLD.items():
            setattr(runbook, column, row[old])
        runbook.save_base(raw=True)  # raw: the document row exists; write only this table


def copy_back(apps, schema_editor):
    Document = apps.get_model("runbooks", "Document")
    Runbook = apps.get_model("runbooks", "Runbook")
    for row in Runbook.objects.values("document_ptr_id", *RUNBOOK_COLUMNS).iterator():
        values = {OLD[column]: row[column] for column in RUNBOOK_COLUMNS}
        Document.objects.filter(pk=row["document_ptr_id"]).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("runbooks", "0005_input_safety_and_shared_rate_limits"),
    ]

    operations = [
        *[
            migrations.RenameField(model_name="document", old_name=column, new_name=old)
            for column, old in OLD.items()
        ],
        migrations.CreateModel(
            name="Runbook",
            fields=[
                (
                    "document_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to="runbooks.document",
                    ),
                ),
                ("component", models.CharField(blank=True, max_length=100)),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("review_interval_days", models.PositiveIntegerField(default=180)),
                ("review_due_at", models.DateTimeField(blank=True, db_index=True, null=True)),
                ("source_name", models.CharField(blank=True, max_length=200)),
                ("front_matter", models.TextField(blank=True)),
            ],
            bases=("runbooks.document",),
        ),
        migrations.RunPython(copy_runbook_columns, copy_back),
        migrations.AlterField(
            model_name="alertroute",
            name="runbook",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alert_routes",
                to="runbooks.runbook",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="runbook",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="alerts",
                to="runbooks.runbook",
            ),
        ),
        *[migrations.RemoveField(model_name="document", name=old) for old in OLD.values()],
    ]
