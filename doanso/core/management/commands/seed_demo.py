"""Demo data, and the national-shaped data set for benchmarks.

`seed_demo` builds the demo the README describes (used by `make run` as `seed_demo --if-empty`):
Tỉnh đoàn An Giang with real wards, schools, a university with faculty unions, an enterprise and
an intermediate bloc, ~3,000 valid members; Thành đoàn Cần Thơ beside it to show that one province
never sees the other; one login per level. Units and accounts go through the real services.

`seed_demo --members N` builds the national shape instead (see bench/README.md): the 34 provinces,
one commune union per real ward (3,321), schools, universities, enterprises and agencies, ~100,000
branches and N members, written in bulk by doanso.members.bulk (COPY on PostgreSQL).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from doanso.accounts.models import Role, User
from doanso.accounts.services import account_create, member_account_issue
from doanso.core.models import AuditEvent, Province, Ward
from doanso.core.reference import ensure_reference_data
from doanso.members import bulk
from doanso.members.bulk import PROFILES, BranchPlan, PersonFactory, TreeBuilder, UnitSpec, vi_int
from doanso.members.choices import MemberStatus
from doanso.members.models import Member
from doanso.organisations.choices import Sector, UnitKind
from doanso.organisations.models import Unit
from doanso.organisations.services import unit_create, unit_create_root

DEMO_PASSWORD = "Doanso@2026"
DEMO_AREAS = ["doanso.dues.demo", "doanso.training.demo", "doanso.evaluation.demo"]
CENTRAL_NAME = "Trung ương Đoàn TNCS Hồ Chí Minh"
REFORM_DAY = date(2025, 7, 1)  # communes re-formed, district level abolished, 63 → 34 provinces


class Command(BaseCommand):
    help = "Tạo dữ liệu mẫu: một tỉnh với xã/phường, trường học, doanh nghiệp, chi đoàn và khoảng 3.000 đoàn viên."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Không làm gì nếu đã có Trung ương Đoàn.")
        parser.add_argument(
            "--members", type=int, default=0, help="Tạo bộ dữ liệu cỡ quốc gia với N đoàn viên (thay cho bản demo)."
        )
        parser.add_argument("--provinces", type=int, default=34, help="Số tỉnh/thành (chế độ quốc gia, tối đa 34).")
        parser.add_argument("--branches", type=int, default=100_000, help="Tổng số chi đoàn (chế độ quốc gia).")
        parser.add_argument(
            "--communes", type=int, default=0, help="Số Đoàn xã/phường (chế độ quốc gia; 0 = mỗi xã/phường một)."
        )
        parser.add_argument(
            "--seed", type=int, default=2026, help="Hạt giống ngẫu nhiên (cùng hạt giống, cùng dữ liệu)."
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Unit.objects.filter(depth=0).exists():
            self.stdout.write("Đã có dữ liệu; bỏ qua tạo dữ liệu mẫu.")
            return
        if Unit.objects.exists():
            raise CommandError("Cơ sở dữ liệu đã có đơn vị; hãy dùng một cơ sở dữ liệu trống.")
        if options["members"] < 0 or options["branches"] < 1 or not 1 <= options["provinces"] <= 34:
            raise CommandError("Tham số không hợp lệ: --members ≥ 0, --branches ≥ 1, 1 ≤ --provinces ≤ 34.")
        ensure_reference_data()
        if options["members"]:
            seed_national(
                members=options["members"], provinces=options["provinces"], branches=options["branches"],
                communes=options["communes"], seed=options["seed"], say=self.stdout.write,
            )  # fmt: skip
            return
        started = time.monotonic()
        with transaction.atomic():
            build_demo(seed=options["seed"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tạo dữ liệu mẫu: {vi_int(Member.objects.count())} đoàn viên, {Unit.objects.count()} đơn vị "
                f"({time.monotonic() - started:.1f}s)."
            )
        )


# ================================================================ shared helpers


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), each share at least `minimum`."""
    if not weights:
        return []
    base = minimum * len(weights)
    rest = max(0, total - base)
    scale = sum(weights) or 1.0
    raw = [rest * w / scale for w in weights]
    shares = [int(x) for x in raw]
    leftover = rest - sum(shares)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)[:leftover]:
        shares[i] += 1
    return [s + minimum for s in shares]


def province_union_name(province: Province) -> str:
    if province.division_type.startswith("thành phố"):
        short = province.name.removeprefix("Thành phố ")
        return "Thành đoàn Thành phố Hồ Chí Minh" if short == "Hồ Chí Minh" else f"Thành đoàn {short}"
    return f"Tỉnh đoàn {province.name}"


def ward_short(ward: Ward) -> str:
    prefix = ward.division_type.lower()
    return ward.name[len(prefix) + 1 :] if ward.name.lower().startswith(prefix + " ") else ward.name


def commune_union_name(ward: Ward) -> str:
    kind = {"phường": "phường", "đặc khu": "đặc khu"}.get(ward.division_type, "xã")
    return f"Đoàn {kind} {ward_short(ward)}"


def create_central(roles: dict[str, Role]) -> tuple[Unit, User]:
    """The root and its secretary: nobody is above them, so they are created directly."""
    tw = unit_create_root(code="TW", name=CENTRAL_NAME, founded_on=date(1931, 3, 26))
    central = User(username="trunguong", full_name="Văn phòng Trung ương Đoàn", unit=tw, role=roles["secretary"])
    central.set_password(DEMO_PASSWORD)
    central.save()
    return tw, central


# ================================================================ demo (services)


def build_demo(seed: int = 2026) -> None:
    gen = PersonFactory(seed)
    rnd = gen.rnd
    roles = {r.code: r for r in Role.objects.all()}
    founded = REFORM_DAY
    tw, central = create_central(roles)

    def create(parent, code, name, kind, **kw):
        return unit_create(
            actor=central, parent=parent, code=code, name=name, kind=kind, founded_on=kw.pop("founded_on", founded),
            **kw,
        )  # fmt: skip

    plans: list[tuple[Unit, str, float, int | None]] = []  # (branch, profile, weight, ward)

    # ---- An Giang (merged 2025 with Kiên Giang): communes, schools, a university, an enterprise.
    ag_province = Province.objects.get(code=91)
    ag = create(tw, "T91", "Tỉnh đoàn An Giang", UnitKind.PROVINCE, province=ag_province, short_name="TĐTN")
    wards = list(Ward.objects.filter(province=ag_province).order_by("name"))
    chosen = [w for w in wards if w.name in ("Phường Long Xuyên", "Phường Châu Đốc", "Phường Rạch Giá")]
    chosen += [w for w in wards if w.division_type == "xã"][:13]
    chosen += [w for w in wards if w.division_type == "đặc khu"][:1]
    hamlets = ["Chi đoàn ấp Bình Thạnh", "Chi đoàn ấp Hòa Long", "Chi đoàn ấp Mỹ Phú", "Chi đoàn ấp Tân Lợi",
               "Chi đoàn ấp An Hòa"]  # fmt: skip
    quarters = ["Chi đoàn khóm Bình Khánh", "Chi đoàn khóm Đông Thịnh", "Chi đoàn khóm Mỹ Long",
                "Chi đoàn khóm Tây Khánh"]  # fmt: skip
    communes = []
    for w in chosen:
        commune = create(ag, f"X{w.code}", commune_union_name(w), UnitKind.GRASSROOTS, sector=Sector.LOCALITY, ward=w)
        communes.append(commune)
        names = quarters if w.division_type == "phường" else hamlets
        for i, bname in enumerate(names[: rnd.randint(3, len(names))], start=1):
            plans.append((create(commune, f"X{w.code}-{i}", bname, UnitKind.BRANCH), "locality", 1.0, w.code))
        police = create(commune, f"X{w.code}-CA", f"Chi đoàn Công an {commune.name[5:]}", UnitKind.BRANCH)
        plans.append((police, "armed", 0.4, w.code))
    long_xuyen = Ward.objects.get(name="Phường Long Xuyên", province=ag_province)
    for code, name in (
        ("THPT-LX", "Đoàn trường THPT Long Xuyên"),
        ("THPT-TNH", "Đoàn trường THPT Chuyên Thoại Ngọc Hầu"),
    ):
        school = create(ag, code, name, UnitKind.GRASSROOTS, sector=Sector.SCHOOL, ward=long_xuyen,
                        founded_on=date(1995, 9, 5))  # fmt: skip
        for grade in (10, 11, 12):
            for k in (1, 2):
                branch = create(school, f"{code}-{grade}A{k}", f"Chi đoàn {grade}A{k}", UnitKind.BRANCH,
                                founded_on=date(2026, 9, 5))  # fmt: skip
                plans.append((branch, "school", 0.7, None))
    university = create(ag, "DHAG", "Đoàn trường Đại học An Giang", UnitKind.GRASSROOTS, sector=Sector.UNIVERSITY,
                        ward=long_xuyen, founded_on=date(1999, 12, 30))  # fmt: skip
    for fcode, fname, classes in (("SP", "Liên chi đoàn khoa Sư phạm", ["DH24SP1", "DH24SP2", "DH25SP1"]),
                                  ("KT", "Liên chi đoàn khoa Kinh tế - Quản trị kinh doanh", ["DH24KT1", "DH25KT1"])):  # fmt: skip
        faculty = create(university, f"DHAG-{fcode}", fname, UnitKind.FACULTY_UNION)
        for cls in classes:
            plans.append((create(faculty, f"DHAG-{cls}", f"Chi đoàn {cls}", UnitKind.BRANCH), "university", 1.0, None))
    bloc = create(
        ag, "T91-DK", "Đoàn Khối các cơ quan và doanh nghiệp tỉnh", UnitKind.INTERMEDIATE, sector=Sector.AGENCY
    )
    enterprise = create(bloc, "AGIFISH", "Đoàn cơ sở Công ty Cổ phần Xuất nhập khẩu Thủy sản An Giang",
                        UnitKind.GRASSROOTS, sector=Sector.ENTERPRISE)  # fmt: skip
    for i, bname in enumerate(["Chi đoàn Xí nghiệp đông lạnh 8", "Chi đoàn Xí nghiệp đông lạnh 9",
                               "Chi đoàn Văn phòng công ty"], 1):  # fmt: skip
        plans.append((create(enterprise, f"AGIFISH-{i}", bname, UnitKind.BRANCH), "enterprise", 1.3, None))
    for code, name in (("SYT-AG", "Chi đoàn cơ sở Sở Y tế"), ("SGD-AG", "Chi đoàn cơ sở Sở Giáo dục và Đào tạo")):
        agency = create(bloc, code, name, UnitKind.GRASSROOTS_BRANCH, sector=Sector.AGENCY)
        plans.append((agency, "agency", 1.0, None))

    # ---- Cần Thơ: a second city, to see that one province never sees the other.
    ct_province = Province.objects.get(code=92)
    ct = create(tw, "T92", "Thành đoàn Cần Thơ", UnitKind.PROVINCE, province=ct_province, short_name="TĐTN")
    ct_plans = []
    for w in Ward.objects.filter(province=ct_province, division_type="phường").order_by("name")[:2]:
        commune = create(ct, f"X{w.code}", commune_union_name(w), UnitKind.GRASSROOTS, sector=Sector.LOCALITY, ward=w)
        for i in (1, 2):
            branch = create(commune, f"X{w.code}-{i}", f"Chi đoàn khu vực {i}", UnitKind.BRANCH)
            ct_plans.append((branch, "locality", 1.0, w.code))

    # ---- members, in bulk, exactly as member_create would write them
    first_id = bulk.next_id(Member)
    weights = [w * rnd.uniform(0.7, 1.3) for _, _, w, _ in plans]
    counts = apportion(2_900, weights, minimum=6) + apportion(220, [1.0] * len(ct_plans), minimum=6)
    cohorts = [gen.cohort(91)] * len(plans) + [gen.cohort(92)] * len(ct_plans)
    branch_plans = [
        BranchPlan(unit=unit, count=n, cohort=cohort, profile=PROFILES[profile], ward_id=ward)
        for (unit, profile, _, ward), n, cohort in zip([*plans, *ct_plans], counts, cohorts, strict=True)
    ]
    bulk.load_members(branch_plans, factory=gen, actor_id=central.pk, expected=sum(counts))
    last_id = bulk.next_id(Member)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=central, target_type="members.member", target_id=pk, action="create", summary="Nhập dữ liệu mẫu"
            )  # fmt: skip
            for pk in range(first_id, last_id)
        ],
        batch_size=1000,
    )

    # ---- One login per level.
    commune = communes[0]
    branch = plans[0][0]
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
    demo_cases(gen=gen, branch=branch, receiver=ct_plans[0][0].parent)
    # The yearly cycle, each area through its own services: the dues ledger, the self-improvement
    # programme with Party referrals, then an evaluation round that reads both.
    for area in DEMO_AREAS:
        import_module(area).seed(today=timezone.localdate(), rnd=random.Random(seed))


def demo_cases(*, gen: PersonFactory, branch: Unit, receiver: Unit) -> None:
    """Procedures in flight, so the inboxes are not empty: an admission waiting for the commune's
    approval, candidates still preparing, and a transfer waiting for Cần Thơ to accept."""
    from doanso.procedures import services as procedures

    secretary = User.objects.get(username="chidoan")
    commune_secretary = User.objects.get(username="xa")
    today = timezone.localdate()
    sponsor = Member.objects.filter(
        unit=branch, status=MemberStatus.ACTIVE, admitted_on__lt=today - timedelta(days=200)
    ).first()
    youths = []
    for name, sex in (("Trần Thị Mỹ Duyên", "F"), ("Lê Hoàng Phúc", "M"), ("Nguyễn Thị Kim Thoa", "F")):
        dob = date(today.year - 17, 3, 12)
        youths.append(
            procedures.youth_register(
                actor=secretary,
                unit=branch,
                data={
                    "full_name": name,
                    "date_of_birth": dob,
                    "sex": sex,
                    "citizen_id": gen.cccd(dob, sex, ["089"]),
                    "applied_on": today - timedelta(days=45),
                    "course_passed_on": today - timedelta(days=20),
                    "course_certificate": f"CTĐ-{today.year}-{len(youths) + 11:03d}",
                    "sponsor_kind": "member",
                    "sponsor_member": sponsor,
                    "application": "Em tự nguyện xin vào Đoàn TNCS Hồ Chí Minh.",
                },
            )  # fmt: skip
        )
    case = procedures.admission_open(actor=secretary, unit=branch, youths=youths[:2])
    procedures.case_act(
        actor=secretary, case=case, action="vote",
        data={"meeting_on": today - timedelta(days=3), "present": 24,
              "votes": {str(youths[0].pk): {"for": 22, "against": 2}, str(youths[1].pk): {"for": 20, "against": 1}}},
    )  # fmt: skip
    mover = (
        Member.objects.filter(unit=branch, status=MemberStatus.ACTIVE).exclude(pk=sponsor.pk).order_by("-pk").first()
    )
    transfer = procedures.transfer_open(
        actor=commune_secretary, member=mover, to_unit=receiver, reason="Chuyển đến Cần Thơ làm việc"
    )
    procedures.case_act(
        actor=commune_secretary, case=transfer, action="release",
        data={"remarks": "Hoàn thành tốt nhiệm vụ, nhiệt tình tham gia phong trào.", "dues_paid_to": today.strftime("%m/%Y")},
    )  # fmt: skip


# ================================================================ national shape (bulk)

MOUNTAIN_PROVINCES = {4, 8, 11, 12, 14, 15, 20}
KHOM_PROVINCES = {91, 92, 86, 96}  # the Mekong delta says "khóm" for urban quarters
SOUTH_PROVINCES = {75, 79, 80, 82, 86, 91, 92, 96}
PLACE_WORDS = [
    "An", "Bình", "Hòa", "Phú", "Thạnh", "Long", "Mỹ", "Tân", "Thới", "Phước", "Hưng", "Lợi", "Đông", "Tây", "Trung",
    "Hậu", "Thuận", "Hiệp", "Lộc", "Thành", "Khánh", "Vĩnh", "Định", "Quới", "Xuân", "Hội", "Lạc", "Nhơn", "Tiến",
    "Yên", "Đoài", "Thượng", "Hạ", "Văn", "Đình", "Sơn", "Thủy", "Quang", "Minh", "Nghĩa",
]  # fmt: skip
UNIVERSITY_NAMES = [
    "Đại học {p}", "Cao đẳng Kỹ thuật {p}", "Cao đẳng Y tế {p}", "Đại học Kinh tế {p}", "Cao đẳng Sư phạm {p}",
    "Đại học Bách khoa {p}", "Cao đẳng Nghề {p}", "Đại học Y Dược {p}", "Đại học Sư phạm {p}", "Cao đẳng Công nghệ {p}",
]  # fmt: skip
FACULTIES = [
    ("KT", "Kinh tế"), ("CNTT", "Công nghệ thông tin"), ("SP", "Sư phạm"), ("KTH", "Kỹ thuật"), ("NN", "Ngoại ngữ"),
    ("NL", "Nông - Lâm"), ("YD", "Y Dược"), ("LU", "Luật"),
]  # fmt: skip
ENTERPRISE_NAMES = [
    "Công ty TNHH May mặc {w}", "Công ty Cổ phần Thủy sản {w}", "Công ty Điện lực {p}", "Công ty TNHH Điện tử {w}",
    "Công ty Cổ phần Xi măng {w}", "Công ty TNHH Giày da {w}", "Ngân hàng Nông nghiệp chi nhánh {p}",
    "Công ty Cấp thoát nước {p}", "Bưu điện {p}", "Viễn thông {p}", "Công ty Cổ phần Chế biến gỗ {w}",
    "Khu công nghiệp {w}",
]  # fmt: skip
AGENCIES = [
    "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Tài chính", "Sở Nội vụ", "Sở Tư pháp", "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường", "Sở Công Thương", "Sở Văn hóa, Thể thao và Du lịch", "Sở Khoa học và Công nghệ",
    "Văn phòng Ủy ban nhân dân", "Thanh tra",
]  # fmt: skip
# Relative number of branches per grassroots unit, and members per branch, by profile.
BRANCH_WEIGHT = {"locality": 1.0, "school": 0.9, "university": 4.0, "enterprise": 0.35}
MEMBER_WEIGHT = {"locality": 1.0, "armed": 0.35, "agency": 0.45, "school": 0.7, "university": 0.9, "enterprise": 1.1}


@dataclass
class Grassroots:
    spec: UnitSpec
    profile: str
    province: int
    ward_id: int | None
    weight: float


def seed_national(
    *, members: int, provinces: int = 34, branches: int = 100_000, communes: int = 0, seed: int = 2026, say=print,
) -> bulk.LoadReport:  # fmt: skip
    """The national data set, in one transaction; prints progress and the BENCH line."""
    started = time.monotonic()
    rnd = random.Random(seed)
    gen = PersonFactory(seed + 1)
    roles = {r.code: r for r in Role.objects.all()}
    with transaction.atomic():
        tw, central = create_central(roles)
        tree = TreeBuilder(tw)
        say("Dựng cây tổ chức…")
        plans = national_tree(tree, rnd=rnd, provinces=provinces, branches=branches, communes=communes)
        tree.write(progress=say)
        counts = apportion(members, [w for *_, w in plans])
        branch_plans = (
            BranchPlan(
                unit=spec.as_unit(),
                count=n,
                cohort=gen.cohort(g.province),
                profile=PROFILES[profile],
                ward_id=g.ward_id,
            )  # fmt: skip
            for (spec, g, profile, _weight), n in zip(plans, counts, strict=True)
        )
        say(f"Tạo {vi_int(members)} đoàn viên trong {vi_int(len(plans))} chi đoàn…")
        report = bulk.load_members(branch_plans, factory=gen, actor_id=central.pk, expected=members, progress=say)
        national_accounts(tree, plans, counts, central=central, roles=roles)
    seconds = time.monotonic() - started
    rate = members / seconds
    baseline = bulk.copy_baseline()
    say(f"Xong: {vi_int(members)} đoàn viên, {vi_int(len(tree.units) + 1)} đơn vị trong {seconds:.1f}s.")
    ratio = rate / baseline if baseline else 0.0
    say(f"BENCH name=seed_members_per_s value={rate:.0f} unit=rows/s baseline={baseline:.0f} ratio={ratio:.3f}")
    return report


def national_tree(
    tree: TreeBuilder, *, rnd: random.Random, provinces: int, branches: int, communes: int
) -> list[tuple[UnitSpec, Grassroots, str, float]]:
    """Provinces, commune unions (one per real ward), schools, universities, enterprises, agencies,
    then branches under each grassroots unit. Returns (branch, its grassroots, profile, member weight)."""
    chosen = list(Province.objects.order_by("code"))[:provinces]
    wards_by_province: dict[int, list[Ward]] = {p.code: [] for p in chosen}
    for w in Ward.objects.filter(province__in=chosen).order_by("code"):
        wards_by_province[w.province_id].append(w)
    if communes:
        quota = apportion(max(communes, len(chosen)), [len(wards_by_province[p.code]) for p in chosen], minimum=1)
    else:
        quota = [len(wards_by_province[p.code]) for p in chosen]
    grassroots: list[Grassroots] = []
    agencies: list[tuple[UnitSpec, int]] = []
    root = tree.root_spec
    for province, n_communes in zip(chosen, quota, strict=True):
        p = province.code
        wards = wards_by_province[p]
        short = province.name.removeprefix("Thành phố ")
        pspec = tree.add(root, code=f"T{p:02d}", name=province_union_name(province), kind=UnitKind.PROVINCE,
                         short_name="TĐTN", province_id=p, founded_on=REFORM_DAY)  # fmt: skip
        picked = wards if n_communes >= len(wards) else sorted(rnd.sample(wards, n_communes), key=lambda w: w.code)
        for w in picked:
            spec = tree.add(pspec, code=f"X{w.code}", name=commune_union_name(w), kind=UnitKind.GRASSROOTS,
                            sector=Sector.LOCALITY, ward_id=w.code, founded_on=REFORM_DAY)  # fmt: skip
            grassroots.append(Grassroots(spec, "locality", p, w.code, rnd.uniform(0.6, 1.4)))
        extras = max(2, round(n_communes * 0.12))
        pattern = ["school", "university", "enterprise", "school", "enterprise", "school", "school", "university",
                   "enterprise", "school"]  # fmt: skip
        kinds = [pattern[j % len(pattern)] for j in range(extras)]
        bloc = None
        if "enterprise" in kinds or n_communes >= 3:
            scope = "thành phố" if province.division_type.startswith("thành phố") else "tỉnh"
            bloc = tree.add(pspec, code=f"T{p:02d}-DK", name=f"Đoàn Khối các cơ quan và doanh nghiệp {scope}",
                            kind=UnitKind.INTERMEDIATE, sector=Sector.AGENCY, founded_on=date(2008, 3, 26))  # fmt: skip
        school_names: set[str] = set()
        for j, kind in enumerate(kinds, start=1):
            w = wards[rnd.randrange(len(wards))]
            if kind == "school":
                name = f"Đoàn trường THPT {ward_short(w)}"
                while name in school_names:
                    name = f"Đoàn trường THPT {ward_short(wards[rnd.randrange(len(wards))])}"
                    if len(school_names) >= len(wards):
                        name = f"Đoàn trường THPT số {j} {short}"
                school_names.add(name)
                spec = tree.add(pspec, code=f"T{p:02d}-THPT{j}", name=name, kind=UnitKind.GRASSROOTS,
                                sector=Sector.SCHOOL, ward_id=w.code, founded_on=date(rnd.randint(1965, 2010), 9, 5))  # fmt: skip
            elif kind == "university":
                k = sum(1 for g in grassroots if g.province == p and g.profile == "university")
                name = "Đoàn trường " + UNIVERSITY_NAMES[k % len(UNIVERSITY_NAMES)].format(p=short)
                if k >= len(UNIVERSITY_NAMES):
                    name += f" cơ sở {k // len(UNIVERSITY_NAMES) + 1}"
                spec = tree.add(pspec, code=f"T{p:02d}-DH{j}", name=name, kind=UnitKind.GRASSROOTS,
                                sector=Sector.UNIVERSITY, ward_id=w.code, founded_on=date(rnd.randint(1975, 2015), 10, 1))  # fmt: skip
            else:
                k = sum(1 for g in grassroots if g.province == p and g.profile == "enterprise")
                name = "Đoàn cơ sở " + ENTERPRISE_NAMES[k % len(ENTERPRISE_NAMES)].format(p=short, w=ward_short(w))
                if k >= len(ENTERPRISE_NAMES):
                    name += f" ({j})"
                spec = tree.add(bloc, code=f"T{p:02d}-DN{j}", name=name, kind=UnitKind.GRASSROOTS,
                                sector=Sector.ENTERPRISE, ward_id=w.code, founded_on=date(rnd.randint(1995, 2020), 3, 26))  # fmt: skip
            grassroots.append(Grassroots(spec, kind, p, w.code, BRANCH_WEIGHT[kind]))
        if bloc is not None:
            for j, agency in enumerate(AGENCIES[: max(1, min(len(AGENCIES), round(n_communes * 0.05)))], start=1):
                spec = tree.add(bloc, code=f"T{p:02d}-CQ{j}", name=f"Chi đoàn cơ sở {agency}",
                                kind=UnitKind.GRASSROOTS_BRANCH, sector=Sector.AGENCY, founded_on=date(2008, 3, 26))  # fmt: skip
                agencies.append((spec, p))
    per_unit = apportion(max(0, branches - len(agencies)), [g.weight for g in grassroots], minimum=1)
    out: list[tuple[UnitSpec, Grassroots, str, float]] = []
    for g, n in zip(grassroots, per_unit, strict=True):
        for spec, profile in _branches_of(tree, g, n, rnd):
            out.append((spec, g, profile, MEMBER_WEIGHT[profile] * rnd.lognormvariate(0, 0.5)))
    for spec, p in agencies:
        g = Grassroots(spec, "agency", p, None, 1.0)
        out.append((spec, g, "agency", 1.5 * rnd.lognormvariate(0, 0.3)))
    return out


def _branches_of(tree: TreeBuilder, g: Grassroots, n: int, rnd: random.Random):
    """The n branches of one grassroots unit, named as such units name them."""
    parent = g.spec
    if g.profile == "locality":
        words = parent.name.split(" ", 1)[1]  # "xã Mỹ Hòa"
        specials = []
        if n >= 8:
            specials = [(f"Chi đoàn Công an {words}", "armed"), (f"Chi đoàn Quân sự {words}", "armed"),
                        (f"Chi đoàn Trường THCS {words.split(' ', 1)[1]}", "agency"),
                        (f"Chi đoàn cơ quan Đảng ủy - Ủy ban nhân dân {words}", "agency")]  # fmt: skip
        urban = words.startswith("phường") or words.startswith("đặc khu")
        place = "ấp" if g.province in SOUTH_PROVINCES else "thôn"
        if g.province in MOUNTAIN_PROVINCES and rnd.random() < 0.5:
            place = "bản"
        names = [f"Chi đoàn {place} {a} {b}" for a, b in _place_names(rnd, n)]
        if urban:
            quarter = (
                "khóm"
                if g.province in KHOM_PROVINCES
                else ("khu phố" if g.province in SOUTH_PROVINCES else "tổ dân phố")
            )
            names = [f"Chi đoàn {quarter} {i}" for i in range(1, n + 1)]
        for i, (name, profile) in enumerate([*specials, *((nm, "locality") for nm in names)][:n], start=1):
            yield (
                tree.add(parent, code=f"{parent.code}-{i}", name=name, kind=UnitKind.BRANCH, founded_on=REFORM_DAY),
                profile,
            )
    elif g.profile == "school":
        for i in range(n):
            grade, cls = 10 + i % 3, i // 3 + 1
            yield tree.add(parent, code=f"{parent.code}-{grade}A{cls}", name=f"Chi đoàn {grade}A{cls}", kind=UnitKind.BRANCH,
                           founded_on=date(2026, 9, 5) if grade == 10 else date(2026 - (grade - 10), 9, 5)), "school"  # fmt: skip
    elif g.profile == "university":
        n_fac = min(len(FACULTIES), max(2, n // 15))
        faculties = [
            tree.add(
                parent,
                code=f"{parent.code}-K{f + 1}",
                name=f"Liên chi đoàn khoa {FACULTIES[f][1]}",
                kind=UnitKind.FACULTY_UNION,
                founded_on=parent.founded_on,
            )  # fmt: skip
            for f in range(n_fac)
        ]
        for i in range(n):
            f = i % n_fac
            year = 22 + (i // n_fac) % 4
            k = i // (n_fac * 4) + 1
            cls = f"DH{year}{FACULTIES[f][0]}{k}"
            yield tree.add(faculties[f], code=f"{parent.code}-{cls}", name=f"Chi đoàn {cls}", kind=UnitKind.BRANCH,
                           founded_on=date(2000 + year, 9, 15)), "university"  # fmt: skip
    else:
        for i in range(1, n + 1):
            name = "Chi đoàn Văn phòng công ty" if i == 1 else f"Chi đoàn Phân xưởng {i - 1}"
            yield (
                tree.add(
                    parent, code=f"{parent.code}-{i}", name=name, kind=UnitKind.BRANCH, founded_on=parent.founded_on
                ),
                "enterprise",
            )


def _place_names(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    """n distinct two-word hamlet names ("Bình Thạnh", "Đông Hạ")."""
    pairs = [(a, b) for a in PLACE_WORDS for b in PLACE_WORDS if a != b]
    if n <= len(pairs):
        return rnd.sample(pairs, n)
    return [*pairs, *((str(i), "") for i in range(n - len(pairs)))]


def national_accounts(tree: TreeBuilder, plans, counts: list[int], *, central: User, roles: dict[str, Role]) -> None:
    """The demo logins on the national data: the largest province, its largest commune, one of its branches."""
    by_unit: dict[int, int] = {}
    for (spec, _g, _profile, _w), n in zip(plans, counts, strict=True):
        for uid in (int(x) for x in spec.path.strip("/").split("/")[1:]):
            by_unit[uid] = by_unit.get(uid, 0) + n
    specs = {u.id: u for u in tree.units}
    province = max((u for u in tree.units if u.kind == UnitKind.PROVINCE), key=lambda u: by_unit.get(u.id, 0))
    commune = max(
        (u for u in tree.units if u.sector == Sector.LOCALITY and u.kind == UnitKind.GRASSROOTS
         and u.parent.id == province.id),
        key=lambda u: by_unit.get(u.id, 0),
    )  # fmt: skip
    # the commune's fullest branch (a small --members leaves most branches empty)
    branch = max((u for u in tree.units if u.parent is specs[commune.id]), key=lambda u: by_unit.get(u.id, 0))
    get = Unit.objects.get
    p, c, b = get(pk=province.id), get(pk=commune.id), get(pk=branch.id)
    for unit, role, username, full_name in (
        (p, "secretary", "tinhdoan", f"Bí thư {p.name}"),
        (c, "secretary", "xa", f"Bí thư {c.name}"),
        (c, "clerk", "vanphong", f"Văn phòng {c.name}"),
        (b, "secretary", "chidoan", f"Bí thư {b.name}"),
    ):
        account_create(actor=central, unit=unit, role=roles[role], username=username, full_name=full_name,
                       password=DEMO_PASSWORD)  # fmt: skip
    member = Member.objects.filter(unit=b, status=MemberStatus.ACTIVE).order_by("pk").first()
    if member is not None:
        member_account_issue(actor=central, member=member, password=DEMO_PASSWORD)
