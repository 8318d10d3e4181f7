"""Demo data: a real province with communes, schools, a university, an enterprise and ~3,000 members.

`seed_demo` builds the demo the README describes (used by `make run` as `seed_demo --if-empty`).
`seed_demo --members N` builds the national-shaped data set for benchmarks instead (see bench/).
Units and accounts go through the real services; members are written in bulk with exactly the
derived fields, placement, status records and rollups the services would write.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from doanso.accounts.models import Role, User
from doanso.accounts.services import account_create, member_account_issue
from doanso.core.models import AuditEvent, Province, Ward
from doanso.core.reference import ensure_reference_data
from doanso.core.vn import CCCD_PROVINCES_2016
from doanso.members.choices import MemberStatus, Position
from doanso.members.models import Member, MemberStatusRecord
from doanso.members.services import stats_recount
from doanso.organisations.choices import Sector, UnitKind
from doanso.organisations.models import Unit
from doanso.organisations.services import unit_create, unit_create_root

DEMO_PASSWORD = "Doanso@2026"

FAMILY = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Huỳnh", 5), ("Hoàng", 3), ("Phan", 4), ("Võ", 4),
    ("Vũ", 2), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 1), ("Dương", 1), ("Lý", 1), ("Lâm", 1),
    ("Châu", 1), ("Thạch", 1), ("Danh", 1), ("Trương", 1), ("Mai", 1), ("Tô", 1), ("Đinh", 1),
]  # fmt: skip
MIDDLE_M = ["Văn", "Văn", "Văn", "Minh", "Hoàng", "Quốc", "Thanh", "Hữu", "Đức", "Tấn", "Công", "Gia", "Trung"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim", "Mỹ", "Bích", "Thị Ngọc", "Hoài", "Thùy"]
GIVEN_M = [
    "An", "Bảo", "Bình", "Cường", "Danh", "Dũng", "Duy", "Đạt", "Hải", "Hào", "Hiếu", "Hòa", "Hùng", "Huy", "Khang",
    "Khoa", "Kiệt", "Lâm", "Lộc", "Long", "Luân", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân",
    "Quang", "Sang", "Sơn", "Tài", "Tâm", "Thắng", "Thành", "Thịnh", "Tiến", "Toàn", "Trí", "Trung", "Tuấn", "Vinh",
    "Vũ", "Ưng", "Ân",
]  # fmt: skip
GIVEN_F = [
    "Anh", "Ánh", "Châu", "Chi", "Diễm", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hân", "Hiền", "Hoa", "Hương",
    "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quyên",
    "Tâm", "Thảo", "Thư", "Thủy", "Tiên", "Trang", "Trâm", "Trinh", "Uyên", "Vân", "Vy", "Xuân", "Yến", "Ý",
]  # fmt: skip
KHMER_FAMILY = ["Thạch", "Danh", "Chau", "Néang", "Sơn", "Kim"]
PHONE_PREFIXES = ["090", "091", "093", "094", "096", "097", "098", "086", "088", "032", "033", "034", "035", "036",
                  "037", "038", "039", "070", "076", "077", "078", "079", "081", "082", "083", "084", "085"]  # fmt: skip
OCCUPATIONS = ["Học sinh", "Sinh viên", "Công nhân", "Nông dân", "Giáo viên", "Nhân viên văn phòng", "Kinh doanh tự do",
               "Công chức", "Lao động tự do", "Ngư dân", "Kỹ thuật viên"]  # fmt: skip
OLD_CODES = list(CCCD_PROVINCES_2016)


class Generator:
    """Reproducible real-looking people."""

    def __init__(self, seed: int = 2026):
        self.rnd = random.Random(seed)
        self.used_cccd: set[str] = set()
        self.used_phone: set[str] = set()
        self.family_pool = [name for name, weight in FAMILY for _ in range(weight)]

    def person(self, *, today: date, home_codes: list[str], ethnic_mix: list[tuple[str, int]]) -> dict:
        rnd = self.rnd
        sex = rnd.choice("MF")
        ethnicity = rnd.choices([e for e, _ in ethnic_mix], weights=[w for _, w in ethnic_mix])[0]
        family = rnd.choice(KHMER_FAMILY) if ethnicity == "05" else rnd.choice(self.family_pool)
        middle = rnd.choice(MIDDLE_M if sex == "M" else MIDDLE_F)
        given = rnd.choice(GIVEN_M if sex == "M" else GIVEN_F)
        age_days = rnd.randint(16 * 366 + 60, 30 * 365 + 300)
        dob = today - timedelta(days=age_days)
        admitted_age_days = rnd.randint(16 * 366, min(age_days - 30, 30 * 365 - 5))
        admitted = dob + timedelta(days=admitted_age_days)
        return {
            "full_name": f"{family} {middle} {given}",
            "sex": sex,
            "date_of_birth": dob,
            "citizen_id": self.cccd(dob, sex, home_codes),
            "admitted_on": admitted,
            "ethnicity_id": ethnicity,
            "phone": self.phone() if rnd.random() < 0.85 else "",
            "occupation": rnd.choice(OCCUPATIONS),
            "education_general": "12/12" if age_days > 18 * 365 else f"{rnd.randint(10, 12)}/12",
        }

    def cccd(self, dob: date, sex: str, home_codes: list[str]) -> str:
        while True:
            code = self.rnd.choice(home_codes) if self.rnd.random() < 0.9 else self.rnd.choice(OLD_CODES)
            d4 = ((dob.year - 1900) // 100) * 2 + (1 if sex == "F" else 0)
            number = f"{code}{d4}{dob.year % 100:02d}{self.rnd.randint(0, 999999):06d}"
            if number not in self.used_cccd:
                self.used_cccd.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = f"+84{self.rnd.choice(PHONE_PREFIXES)[1:]}{self.rnd.randint(0, 9999999):07d}"
            if number not in self.used_phone:
                self.used_phone.add(number)
                return number


def _religion(rnd: random.Random, ethnicity: str) -> str:
    if ethnicity == "17":
        return "04"
    if ethnicity == "05":
        return "01"
    return rnd.choices(["00", "01", "03", "02", "05"], weights=[62, 15, 12, 6, 5])[0]


def bulk_members(*, branches: list[Unit], per_branch: tuple[int, int], gen: Generator, home_codes: list[str],
                 ethnic_mix: list[tuple[str, int]], actor: User) -> list[Member]:  # fmt: skip
    """Members written in bulk with everything member_create would write."""
    today = timezone.localdate()
    rnd = gen.rnd
    members, first_of_branch = [], []
    for branch in branches:
        n = rnd.randint(*per_branch)
        for i in range(n):
            data = gen.person(today=today, home_codes=home_codes, ethnic_mix=ethnic_mix)
            m = Member(**data, religion_id=_religion(rnd, data["ethnicity_id"]))
            m.set_derived_name_fields()
            m.set_placement(branch)
            m.position = Position.SECRETARY if i == 0 else Position.DEPUTY_SECRETARY if i == 1 else Position.MEMBER
            m.is_salaried = m.occupation in (
                "Công nhân",
                "Giáo viên",
                "Nhân viên văn phòng",
                "Công chức",
                "Kỹ thuật viên",
            )
            m.federation_member = rnd.random() < 0.4
            m.card_number = f"{branch.pk:05d}{rnd.randint(0, 99999):05d}"
            m.admission_decision_number = f"{rnd.randint(1, 300)}-QĐ/ĐTN"
            m.status = MemberStatus.ACTIVE
            m.status_since = m.admitted_on
            members.append(m)
            if i == 0:
                first_of_branch.append(m)
    Member.objects.bulk_create(members, batch_size=1000)
    records = [
        MemberStatusRecord(
            member=m,
            status=MemberStatus.ACTIVE,
            effective_on=m.admitted_on,
            actor=actor,
            decision_number=m.admission_decision_number,
            reason="Kết nạp vào Đoàn (dữ liệu mẫu)",
        )  # fmt: skip
        for m in members
    ]
    # A few members have left the rolls, through dated status records as the services write them.
    for m in rnd.sample(members, k=max(1, len(members) // 40)):
        new = rnd.choice([MemberStatus.AGED_OUT, MemberStatus.REMOVED, MemberStatus.DECEASED, MemberStatus.AGED_OUT])
        day = min(today, m.admitted_on + timedelta(days=rnd.randint(200, 2000)))
        records.append(
            MemberStatusRecord(
                member=m,
                status=new,
                previous_status=MemberStatus.ACTIVE,
                effective_on=day,
                actor=actor,
                reason={
                    "aged_out": "Trưởng thành Đoàn",
                    "removed": "Bỏ sinh hoạt 3 tháng không lý do",
                    "deceased": "Từ trần",
                }[new],
            )  # fmt: skip
        )
        m.status, m.status_since = new, day
    MemberStatusRecord.objects.bulk_create(records, batch_size=1000)
    changed = [r.member for r in records if r.previous_status]
    Member.objects.bulk_update(changed, ["status", "status_since"], batch_size=1000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor, target_type="members.member", target_id=m.pk, action="create", summary="Nhập dữ liệu mẫu"
            )
            for m in members
        ],
        batch_size=1000,
    )
    return first_of_branch


class Command(BaseCommand):
    help = "Tạo dữ liệu mẫu: một tỉnh với xã/phường, trường học, doanh nghiệp, chi đoàn và khoảng 3.000 đoàn viên."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Không làm gì nếu đã có dữ liệu.")
        parser.add_argument("--members", type=int, default=0, help="Tạo bộ dữ liệu cỡ quốc gia với N đoàn viên.")
        parser.add_argument("--provinces", type=int, default=34)
        parser.add_argument("--branches", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **options):
        if options["if_empty"] and Unit.objects.filter(depth=0).exists():
            self.stdout.write("Đã có dữ liệu; bỏ qua tạo dữ liệu mẫu.")
            return
        if Unit.objects.exists():
            raise CommandError("Cơ sở dữ liệu đã có đơn vị; hãy dùng một cơ sở dữ liệu trống.")
        ensure_reference_data()
        if options["members"]:
            from doanso.members.bulk import seed_national

            seed_national(
                members=options["members"], provinces=options["provinces"], branches=options["branches"],
                seed=options["seed"], stdout=self.stdout,
            )  # fmt: skip
            return
        with transaction.atomic():
            build_demo(seed=options["seed"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tạo dữ liệu mẫu: {Member.objects.count()} đoàn viên, {Unit.objects.count()} đơn vị."
            )
        )


def build_demo(seed: int = 2026) -> None:
    gen = Generator(seed)
    rnd = gen.rnd
    roles = {r.code: r for r in Role.objects.all()}
    founded = date(2025, 7, 1)
    tw = unit_create_root(code="TW", name="Trung ương Đoàn TNCS Hồ Chí Minh", founded_on=date(1931, 3, 26))
    central = User(username="trunguong", full_name="Văn phòng Trung ương Đoàn", unit=tw, role=roles["secretary"])
    central.set_password(DEMO_PASSWORD)
    central.save()

    def create(parent, code, name, kind, **kw):
        return unit_create(
            actor=central,
            parent=parent,
            code=code,
            name=name,
            kind=kind,
            founded_on=kw.pop("founded_on", founded),
            **kw,
        )

    # ---- An Giang (merged 2025 with Kiên Giang): communes, schools, a university, an enterprise.
    ag_province = Province.objects.get(code=91)
    ag = create(tw, "T91", "Tỉnh đoàn An Giang", UnitKind.PROVINCE, province=ag_province, short_name="TĐTN")
    branches: list[Unit] = []
    wards = list(Ward.objects.filter(province=ag_province).order_by("name"))
    chosen = [w for w in wards if w.name in ("Phường Long Xuyên", "Phường Châu Đốc", "Phường Rạch Giá")]
    chosen += [w for w in wards if w.division_type == "xã"][:13]
    hamlets = [
        "Chi đoàn ấp Bình Thạnh",
        "Chi đoàn ấp Hòa Long",
        "Chi đoàn ấp Mỹ Phú",
        "Chi đoàn ấp Tân Lợi",
        "Chi đoàn ấp An Hòa",
    ]
    quarters = [
        "Chi đoàn khóm Bình Khánh",
        "Chi đoàn khóm Đông Thịnh",
        "Chi đoàn khóm Mỹ Long",
        "Chi đoàn khóm Tây Khánh",
    ]
    communes = []
    for w in chosen:
        prefix = "Đoàn phường" if w.division_type == "phường" else "Đoàn xã"
        short = w.name.split(" ", 1)[1]
        commune = create(ag, f"X{w.code}", f"{prefix} {short}", UnitKind.GRASSROOTS, sector=Sector.LOCALITY, ward=w)
        communes.append(commune)
        names = quarters if w.division_type == "phường" else hamlets
        for i, bname in enumerate(names[: rnd.randint(3, len(names))], start=1):
            branches.append(create(commune, f"X{w.code}-{i}", bname, UnitKind.BRANCH))
    long_xuyen = Ward.objects.get(name="Phường Long Xuyên", province=ag_province)
    for code, name in (
        ("THPT-LX", "Đoàn trường THPT Long Xuyên"),
        ("THPT-TNH", "Đoàn trường THPT Chuyên Thoại Ngọc Hầu"),
    ):
        school = create(ag, code, name, UnitKind.GRASSROOTS, sector=Sector.SCHOOL, ward=long_xuyen)
        for grade in (10, 11, 12):
            for k in (1, 2):
                branches.append(create(school, f"{code}-{grade}A{k}", f"Chi đoàn {grade}A{k}", UnitKind.BRANCH))
    university = create(
        ag, "DHAG", "Đoàn trường Đại học An Giang", UnitKind.GRASSROOTS, sector=Sector.UNIVERSITY, ward=long_xuyen
    )
    for fcode, fname, classes in (("SP", "Liên chi đoàn khoa Sư phạm", ["DH24SP1", "DH24SP2", "DH25SP1"]),
                                  ("KT", "Liên chi đoàn khoa Kinh tế - Quản trị kinh doanh", ["DH24KT1", "DH25KT1"])):  # fmt: skip
        faculty = create(university, f"DHAG-{fcode}", fname, UnitKind.FACULTY_UNION)
        for cls in classes:
            branches.append(create(faculty, f"DHAG-{cls}", f"Chi đoàn {cls}", UnitKind.BRANCH))
    bloc = create(
        ag, "T91-DK", "Đoàn Khối các cơ quan và doanh nghiệp tỉnh", UnitKind.INTERMEDIATE, sector=Sector.AGENCY
    )
    enterprise = create(bloc, "AGIFISH", "Đoàn cơ sở Công ty Cổ phần Xuất nhập khẩu Thủy sản An Giang", UnitKind.GRASSROOTS,
                        sector=Sector.ENTERPRISE)  # fmt: skip
    for i, bname in enumerate(
        ["Chi đoàn Xí nghiệp đông lạnh 8", "Chi đoàn Xí nghiệp đông lạnh 9", "Chi đoàn Văn phòng công ty"], 1
    ):
        branches.append(create(enterprise, f"AGIFISH-{i}", bname, UnitKind.BRANCH))
    branches.append(create(bloc, "SYT-AG", "Chi đoàn cơ sở Sở Y tế", UnitKind.GRASSROOTS_BRANCH, sector=Sector.AGENCY))
    ag_mix = [("01", 90), ("05", 6), ("04", 2), ("17", 2)]
    bulk_members(
        branches=branches, per_branch=(35, 55), gen=gen, home_codes=["089", "091"], ethnic_mix=ag_mix, actor=central
    )

    # ---- Cần Thơ: a second city, to see that one province never sees the other.
    ct_province = Province.objects.get(code=92)
    ct = create(tw, "T92", "Thành đoàn Cần Thơ", UnitKind.PROVINCE, province=ct_province, short_name="TĐTN")
    ct_branches = []
    for w in Ward.objects.filter(province=ct_province, division_type="phường").order_by("name")[:2]:
        commune = create(
            ct,
            f"X{w.code}",
            f"Đoàn phường {w.name.split(' ', 1)[1]}",
            UnitKind.GRASSROOTS,
            sector=Sector.LOCALITY,
            ward=w,
        )
        for i in (1, 2):
            ct_branches.append(create(commune, f"X{w.code}-{i}", f"Chi đoàn khu vực {i}", UnitKind.BRANCH))
    bulk_members(
        branches=ct_branches,
        per_branch=(20, 30),
        gen=gen,
        home_codes=["092"],
        ethnic_mix=[("01", 95), ("05", 5)],
        actor=central,
    )
    stats_recount()
    for unit in Unit.objects.all():
        Unit.objects.filter(pk=unit.pk).update(
            child_count=Unit.objects.filter(parent=unit, closed_on__isnull=True).count()
        )

    # ---- One login per level.
    commune = communes[0]
    branch = branches[0]
    account_create(actor=central, unit=ag, role=roles["secretary"], username="tinhdoan",
                   full_name="Bí thư Tỉnh đoàn An Giang", password=DEMO_PASSWORD)  # fmt: skip
    account_create(actor=central, unit=ct, role=roles["secretary"], username="thanhdoancantho",
                   full_name="Bí thư Thành đoàn Cần Thơ", password=DEMO_PASSWORD)  # fmt: skip
    account_create(actor=central, unit=commune, role=roles["secretary"], username="xa",
                   full_name=f"Bí thư {commune.name}", password=DEMO_PASSWORD)  # fmt: skip
    account_create(actor=central, unit=commune, role=roles["clerk"], username="vanphong",
                   full_name=f"Văn phòng {commune.name}", password=DEMO_PASSWORD)  # fmt: skip
    account_create(actor=central, unit=branch, role=roles["secretary"], username="chidoan",
                   full_name=f"Bí thư {branch.name}", password=DEMO_PASSWORD)  # fmt: skip
    member = Member.objects.filter(unit=branch, status=MemberStatus.ACTIVE).order_by("pk").first()
    member_account_issue(actor=central, member=member, password=DEMO_PASSWORD)
    demo_cases(gen=gen, branch=branch, receiver=ct_branches[0].parent)


def demo_cases(*, gen: Generator, branch: Unit, receiver: Unit) -> None:
    """Procedures in flight, so the inboxes are not empty: an admission waiting for the commune's
    approval, candidates still preparing, and a transfer waiting for Cần Thơ to accept."""
    from doanso.procedures import services as procedures

    secretary = User.objects.get(username="chidoan")
    commune_secretary = User.objects.get(username="xa")
    today = timezone.localdate()
    sponsor = Member.objects.filter(unit=branch, status=MemberStatus.ACTIVE, admitted_on__lt=today - timedelta(days=200)).first()
    youths = []
    for name, sex in (("Trần Thị Mỹ Duyên", "F"), ("Lê Hoàng Phúc", "M"), ("Nguyễn Thị Kim Thoa", "F")):
        dob = date(today.year - 17, 3, 12)
        youths.append(
            procedures.youth_register(
                actor=secretary, unit=branch,
                data={"full_name": name, "date_of_birth": dob, "sex": sex, "citizen_id": gen.cccd(dob, sex, ["089"]),
                      "applied_on": today - timedelta(days=45), "course_passed_on": today - timedelta(days=20),
                      "course_certificate": f"CTĐ-{today.year}-{len(youths) + 11:03d}", "sponsor_kind": "member",
                      "sponsor_member": sponsor, "application": "Em tự nguyện xin vào Đoàn TNCS Hồ Chí Minh."},
            )  # fmt: skip
        )
    case = procedures.admission_open(actor=secretary, unit=branch, youths=youths[:2])
    procedures.case_act(
        actor=secretary, case=case, action="vote",
        data={"meeting_on": today - timedelta(days=3), "present": 24,
              "votes": {str(youths[0].pk): {"for": 22, "against": 2}, str(youths[1].pk): {"for": 20, "against": 1}}},
    )  # fmt: skip
    mover = Member.objects.filter(unit=branch, status=MemberStatus.ACTIVE).exclude(pk=sponsor.pk).order_by("-pk").first()
    transfer = procedures.transfer_open(actor=commune_secretary, member=mover, to_unit=receiver, reason="Chuyển đến Cần Thơ làm việc")
    procedures.case_act(
        actor=commune_secretary, case=transfer, action="release",
        data={"remarks": "Hoàn thành tốt nhiệm vụ, nhiệt tình tham gia phong trào.", "dues_paid_to": today.strftime("%m/%Y")},
    )  # fmt: skip
