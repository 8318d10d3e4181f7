"""Reference data (code lists, administrative units, standard roles), idempotently.

The data migrations load the same rows; this is for databases that were flushed
(transactional tests) or created without migrations' data.
"""

from __future__ import annotations

from datetime import date

from doanso.core import vn
from doanso.core.codelists import ETHNICITIES, ETHNICITIES_UNCONFIRMED, RELIGIONS


def ensure_reference_data() -> None:
    from vietnam_provinces import Province as VP
    from vietnam_provinces import Ward as VW

    from doanso.accounts.models import Role
    from doanso.accounts.roles import STANDARD_ROLES

    from .models import Ethnicity, Province, Religion, Ward

    if Ethnicity.objects.count() < len(ETHNICITIES):
        for code, name, aliases in ETHNICITIES:
            Ethnicity.objects.update_or_create(code=code, defaults={"name": name, "aliases": "|".join(aliases)})
        for code, name, aliases in ETHNICITIES_UNCONFIRMED:
            Ethnicity.objects.update_or_create(
                code=code, defaults={"name": name, "aliases": "|".join(aliases), "confirmed": False}
            )
    if Religion.objects.count() < len(RELIGIONS):
        for code, name, confirmed in RELIGIONS:
            Religion.objects.update_or_create(code=code, defaults={"name": name, "confirmed": confirmed})
    reform = date(2025, 7, 1)
    if Province.objects.count() < 34:
        for p in VP.iter_all():
            Province.objects.update_or_create(
                code=int(p.code),
                defaults={
                    "name": p.name,
                    "division_type": str(getattr(p.division_type, "value", p.division_type)),
                    "valid_from": reform,
                },
            )
    if Ward.objects.count() < 3000:
        existing = set(Ward.objects.values_list("code", flat=True))
        Ward.objects.bulk_create(
            [
                Ward(
                    code=int(w.code),
                    name=w.name,
                    division_type=str(getattr(w.division_type, "value", w.division_type)),
                    province_id=int(w.province_code),
                    name_search=vn.fold(w.name),
                    valid_from=reform,
                )  # fmt: skip
                for w in VW.iter_all()
                if int(w.code) not in existing
            ],
            batch_size=1000,
        )
    for code, name, rank, perms in STANDARD_ROLES:
        Role.objects.get_or_create(code=code, defaults={"name": name, "rank": rank, "permissions": perms})
