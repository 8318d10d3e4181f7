"""Shared test cast: a small tree built through the real services, one account per role.

    TW (central) ─┬─ P1 Tỉnh đoàn An Giang ─┬─ C11 Đoàn xã Mỹ Hòa ── B111, B112 (branches)
                  │                         └─ C12 Đoàn phường Long Xuyên ── B121, B122
                  └─ P2 Tỉnh đoàn Cà Mau ───┬─ C21 Đoàn xã Tân Thành ── B211, B212
                                            └─ C22 Trường THPT Cà Mau ── B221, B222

Accounts: `central` (secretary at TW), `p1`/`p2` (province secretaries), `c11`, `c12`, `c21`,
`c22` (commune secretaries), `c11_clerk`, `c11_deputy`, `b111` (branch secretary).
Each branch holds 3 members; `member_b111` has a member login.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import pytest

PASSWORD = "Doanso@2026"
_seq = itertools.count(1)


def make_cccd(dob: date, sex: str, seq: int | None = None, province: str = "001") -> str:
    century = (dob.year - 1900) // 100
    d4 = century * 2 + (1 if sex == "F" else 0)
    n = next(_seq) if seq is None else seq
    return f"{province}{d4}{dob.year % 100:02d}{n:06d}"


def member_data(full_name: str, dob: date = date(2003, 5, 17), sex: str = "M", **extra) -> dict:
    data = {
        "full_name": full_name,
        "date_of_birth": dob,
        "sex": sex,
        "citizen_id": make_cccd(dob, sex),
        "admitted_on": date(dob.year + 17, 3, 26),
        "ethnicity": "01",
        "religion": "00",
    }
    data.update(extra)
    return data


@dataclass
class Cast:
    units: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)

    def __getattr__(self, name):
        for bucket in ("units", "users", "members"):
            if name in self.__dict__.get(bucket, {}):
                return self.__dict__[bucket][name]
        raise AttributeError(name)


NAMES = [
    "Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Minh", "Phạm Thị Ánh", "Huỳnh Văn Đạt", "Võ Thị Hà",
    "Đặng Quốc Hùng", "Bùi Thị Lan", "Đỗ Minh Khoa", "Hồ Thị Ngọc Ánh", "Ngô Văn Phúc", "Dương Thị Yến",
    "Lý Văn Tâm", "Trương Thị Thu", "Phan Văn Ưng", "Mai Thị Oanh", "Tô Văn Sơn", "Châu Thị Uyên",
    "Nguyễn Thị Mai", "Trần Văn Bảo", "Lê Thị Cúc", "Phạm Văn Dũng", "Huỳnh Thị Duyên", "Võ Văn Em",
]  # fmt: skip


def build_cast() -> Cast:
    from doanso.accounts.models import Role, User
    from doanso.accounts.services import account_create, member_account_issue
    from doanso.core.reference import ensure_reference_data
    from doanso.members.services import member_create
    from doanso.organisations.choices import Sector, UnitKind
    from doanso.organisations.services import unit_create, unit_create_root

    ensure_reference_data()
    cast = Cast()
    roles = {r.code: r for r in Role.objects.all()}
    tw = unit_create_root(code="TW", name="Trung ương Đoàn TNCS Hồ Chí Minh", founded_on=date(1931, 3, 26))
    central = User(username="central", full_name="Bí thư Trung ương", unit=tw, role=roles["secretary"])
    central.set_password(PASSWORD)
    central.save()
    cast.units["tw"] = tw
    cast.users["central"] = central
    names = iter(NAMES)
    spec = {
        "p1": ("T89", "Tỉnh đoàn An Giang", [("c11", "Đoàn xã Mỹ Hòa", Sector.LOCALITY), ("c12", "Đoàn phường Long Xuyên", Sector.LOCALITY)]),
        "p2": ("T96", "Tỉnh đoàn Cà Mau", [("c21", "Đoàn xã Tân Thành", Sector.LOCALITY), ("c22", "Đoàn trường THPT Cà Mau", Sector.SCHOOL)]),
    }  # fmt: skip
    for pkey, (pcode, pname, communes) in spec.items():
        p = unit_create(
            actor=central, parent=tw, code=pcode, name=pname, kind=UnitKind.PROVINCE, founded_on=date(2025, 7, 1)
        )
        cast.units[pkey] = p
        cast.users[pkey] = account_create(
            actor=central,
            unit=p,
            role=roles["secretary"],
            username=pkey,
            full_name=f"Bí thư {pname}",
            password=PASSWORD,
        )
        for ckey, cname, sector in communes:
            c = unit_create(
                actor=cast.users[pkey], parent=p, code=f"{pcode}-{ckey.upper()}", name=cname, kind=UnitKind.GRASSROOTS,
                sector=sector, founded_on=date(2025, 7, 1),
            )  # fmt: skip
            cast.units[ckey] = c
            cast.users[ckey] = account_create(
                actor=cast.users[pkey], unit=c, role=roles["secretary"], username=ckey, full_name=f"Bí thư {cname}",
                password=PASSWORD,
            )  # fmt: skip
            for b in (1, 2):
                bkey = f"b{ckey[1:]}{b}"
                branch = unit_create(
                    actor=cast.users[ckey], parent=c, code=f"{pcode}-{ckey.upper()}-{b}", name=f"Chi đoàn {b} {cname[5:]}",
                    kind=UnitKind.BRANCH, founded_on=date(2025, 7, 1),
                )  # fmt: skip
                cast.units[bkey] = branch
                for i in range(3):
                    name = next(names)
                    sex = "F" if " Thị " in name else "M"
                    m = member_create(
                        actor=cast.users[ckey], unit=branch,
                        data=member_data(name, dob=date(2000 + i, 1 + i, 10 + i), sex=sex, phone=f"09123{next(_seq):05d}"),
                    )  # fmt: skip
                    cast.members[f"m_{bkey}_{i}"] = m
    cast.users["c11_clerk"] = account_create(
        actor=cast.users["c11"], unit=cast.units["c11"], role=roles["clerk"], username="c11.clerk",
        full_name="Văn phòng Mỹ Hòa", password=PASSWORD,
    )  # fmt: skip
    cast.users["c11_deputy"] = account_create(
        actor=cast.users["c11"], unit=cast.units["c11"], role=roles["deputy_secretary"], username="c11.deputy",
        full_name="Phó Bí thư Mỹ Hòa", password=PASSWORD,
    )  # fmt: skip
    cast.users["b111"] = account_create(
        actor=cast.users["c11"], unit=cast.units["b111"], role=roles["secretary"], username="b111",
        full_name="Bí thư Chi đoàn 1", password=PASSWORD,
    )  # fmt: skip
    cast.members["member_b111"] = cast.members["m_b111_0"]
    cast.users["member_b111"] = member_account_issue(
        actor=cast.users["c11"], member=cast.members["m_b111_0"], password=PASSWORD
    )
    for user in cast.users.values():
        user.refresh_from_db()
    return cast


@pytest.fixture
def cast(db) -> Cast:
    return build_cast()


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def jobs_root(settings, tmp_path):
    """Job result files under a temporary directory; the queue is the database (nothing runs by itself)."""
    settings.JOBS_ROOT = tmp_path / "jobs"
    settings.JOBS_BACKEND = "database"
    return settings.JOBS_ROOT


@pytest.fixture
def run_now(jobs_root, django_capture_on_commit_callbacks):
    """Start a job and run it at once, as a worker would after the commit."""
    from doanso.jobs import services

    def _run(actor, kind, **params):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            job = services.job_start(actor=actor, kind=kind, params=params)
        assert len(callbacks) == 1  # queued after commit, exactly once
        services.job_run(job_id=job.pk)
        job.refresh_from_db()
        return job

    return _run
