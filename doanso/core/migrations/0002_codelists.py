"""Load the official code lists and the post-2025 administrative units (vietnam-provinces)."""

from datetime import date

from django.db import migrations

from doanso.core import vn
from doanso.core.codelists import ETHNICITIES, ETHNICITIES_UNCONFIRMED, RELIGIONS


def load(apps, schema_editor):
    Ethnicity = apps.get_model("core", "Ethnicity")
    Religion = apps.get_model("core", "Religion")
    Province = apps.get_model("core", "Province")
    Ward = apps.get_model("core", "Ward")
    Ethnicity.objects.bulk_create(
        [Ethnicity(code=c, name=n, aliases="|".join(a), confirmed=True) for c, n, a in ETHNICITIES]
        + [Ethnicity(code=c, name=n, aliases="|".join(a), confirmed=False) for c, n, a in ETHNICITIES_UNCONFIRMED]
    )
    Religion.objects.bulk_create([Religion(code=c, name=n, confirmed=ok) for c, n, ok in RELIGIONS])
    from vietnam_provinces import Province as VP
    from vietnam_provinces import Ward as VW

    reform = date(2025, 7, 1)
    Province.objects.bulk_create(
        [
            Province(code=int(p.code), name=p.name, division_type=str(p.division_type.value if hasattr(p.division_type, "value") else p.division_type), valid_from=reform)
            for p in VP.iter_all()
        ]
    )
    Ward.objects.bulk_create(
        [
            Ward(
                code=int(w.code),
                name=w.name,
                division_type=str(w.division_type.value if hasattr(w.division_type, "value") else w.division_type),
                province_id=int(w.province_code),
                name_search=vn.fold(w.name),
                valid_from=reform,
            )
            for w in VW.iter_all()
        ],
        batch_size=1000,
    )


def unload(apps, schema_editor):
    for name in ("Ward", "Province", "Religion", "Ethnicity"):
        apps.get_model("core", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
