"""Branches keep no dashboard rollup rows (members.rollups.live_figures counts theirs): the rows
written for them before are deleted. Going back rebuilds every unit's rows, branches included,
with the code of that time (its `dashboards_recount`), so the reverse here only says so."""

from django.db import migrations

HOLDING_KINDS = ("branch", "grassroots_branch")


def delete_branch_rows(apps, schema_editor):
    Unit = apps.get_model("organisations", "Unit")
    branches = Unit.objects.filter(kind__in=HOLDING_KINDS).values("pk")
    for name in ("MemberFacet", "MemberEvent"):
        apps.get_model("members", name).objects.filter(unit_id__in=branches).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0005_register_lock"),
        ("organisations", "0001_initial"),
    ]

    operations = [migrations.RunPython(delete_branch_rows, migrations.RunPython.noop, elidable=True)]
