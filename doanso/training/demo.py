"""Demo data for the self-improvement programme and the Party referral, on top of the An Giang demo.

Called by `seed_demo` after the demo tree, members and logins exist:

    from doanso.training import demo as training_demo
    training_demo.seed(today=timezone.localdate(), rnd=random.Random(seed))

Everything goes through the real services (scope, validation, history). Uses the logins `trunguong`,
`tinhdoan`, `chidoan` and the member login of `chidoan`'s branch.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from doanso.accounts.models import User
from doanso.members.models import Member
from doanso.procedures import referral
from doanso.procedures import services as procedures
from doanso.procedures.models import Case, CaseStep

from . import services
from .choices import ResultLevel

AREAS = [
    {"name": "Học tập", "targets": "Hoàn thành tốt nhiệm vụ học tập, công tác; học thêm ít nhất một kỹ năng mới.",
     "assessment": "Chi đoàn đánh giá qua kết quả học tập, công tác cuối năm."},
    {"name": "Rèn luyện đạo đức, lối sống", "targets": "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.",
     "assessment": "Nhận xét của chi đoàn và nơi cư trú."},
    {"name": "Tình nguyện", "targets": "Tham gia ít nhất 2 hoạt động tình nguyện, hiến máu hoặc an sinh xã hội.",
     "assessment": "Xác nhận của đơn vị tổ chức hoạt động."},
    {"name": "Rèn luyện sức khỏe", "targets": "Tập thể dục thường xuyên; tham gia một giải thể thao phong trào.",
     "assessment": "Tự đánh giá, chi đoàn xác nhận."},
]  # fmt: skip
TARGETS = [
    "Đọc 6 cuốn sách, học xong khóa tin học văn phòng.",
    "Không vi phạm nội quy; giúp đỡ một thiếu nhi khó khăn.",
    "Tham gia Chủ nhật xanh và hiến máu một lần.",
    "Chạy bộ 3 buổi mỗi tuần.",
]


def d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@transaction.atomic
def seed(*, today: date | None = None, rnd: random.Random | None = None) -> None:
    """Programmes (Central and An Giang, this year and last), registrations and results in the demo
    branch, reminders, and Party-referral cases in every state, one of them stalled."""
    today = today or timezone.localdate()
    rnd = rnd or random.Random(2026)
    central = User.objects.get(username="trunguong")
    province = User.objects.get(username="tinhdoan")
    branch_secretary = User.objects.get(username="chidoan")
    branch = branch_secretary.unit
    grassroots = procedures.grassroots_of(branch)
    grassroots_user = (
        User.objects.filter(unit=grassroots, is_active=True, role__code="secretary").order_by("pk").first() or province
    )

    services.programme_create(
        actor=central, unit=central.unit, year=today.year, title=f"Chương trình rèn luyện đoàn viên năm {today.year}",
        areas=AREAS[:3], introduction="Áp dụng cho các đơn vị chưa có chương trình riêng.", publish=True,
    )  # fmt: skip
    programme = services.programme_create(
        actor=province, unit=province.unit, year=today.year,
        title=f"Chương trình rèn luyện đoàn viên Tỉnh đoàn An Giang năm {today.year}", areas=AREAS,
        introduction="Đoàn viên đăng ký chỉ tiêu trên điện thoại trước 31/3; chi đoàn xác nhận kết quả cuối năm.",
        publish=True,
    )  # fmt: skip
    members = list(Member.objects.filter(unit=branch, status="active").order_by("sort_key")[:40])
    login = User.objects.filter(member__unit=branch).select_related("member").first()
    areas = list(programme.areas.all())
    registered = []
    for m in members[: max(1, len(members) - 4)]:  # a few have not registered yet: the "remind" list
        if login and m.pk == login.member_id:
            continue  # the member login registers for themself below
        targets = {a.pk: TARGETS[i % len(TARGETS)] for i, a in enumerate(areas) if rnd.random() < 0.9 or i == 0}
        services.registration_create(actor=branch_secretary, member=m, year=today.year, targets=targets)
        registered.append(m)
    if login:
        services.registration_create(
            actor=login, member=login.member, year=today.year, targets={a.pk: TARGETS[i] for i, a in enumerate(areas)}
        )
    services.registrations_accept(
        actor=branch_secretary, unit=branch, year=today.year, member_ids=[m.pk for m in registered]
    )
    levels = [ResultLevel.EXCELLENT, ResultLevel.GOOD, ResultLevel.GOOD, ResultLevel.DONE, ResultLevel.FAILED]
    half = registered[: len(registered) // 2]  # year end: half the branch already confirmed
    if half:
        services.results_confirm(
            actor=branch_secretary, unit=branch, year=today.year,
            results={m.pk: levels[i % len(levels)] if i else ResultLevel.EXCELLENT for i, m in enumerate(half)},
        )  # fmt: skip
    services.reminders_send(actor=branch_secretary, unit=branch, year=today.year)

    # ---- Party referrals in every state; one stalled for months.
    candidates = [m for m in members if not m.party_joined_on and (not login or m.pk != login.member_id)][:6]
    plan = ["nominated", "introduced", "probationary", "official", "not_admitted", "stalled"]
    for m, state in zip(candidates, plan, strict=False):
        start = today - timedelta(days={"stalled": 300, "official": 330}.get(state, 120))
        case = referral.referral_nominate(
            actor=branch_secretary, member=m, meeting_on=d(start), resolution="Nghị quyết họp chi đoàn"
        )
        if state in ("introduced", "probationary", "official", "not_admitted"):
            procedures.case_act(
                actor=grassroots_user, case=case, action="introduce",
                data={"introduced_on": d(start + timedelta(days=10)), "party_cell": f"Chi bộ ấp {rnd.randint(1, 9)}"},
            )  # fmt: skip
        if state in ("probationary", "official"):
            procedures.case_act(
                actor=grassroots_user, case=case, action="course",
                data={"certificate_number": f"NTVĐ-{rnd.randint(100, 999)}", "certificate_on": d(start + timedelta(days=30))},
            )  # fmt: skip
            procedures.case_act(
                actor=grassroots_user, case=case, action="admit",
                data={"admitted_on": d(start + timedelta(days=60)), "decision_number": f"{rnd.randint(10, 99)}-QĐ/ĐU"},
            )  # fmt: skip
        if state == "official":
            procedures.case_act(
                actor=grassroots_user, case=case, action="confirm",
                data={"official_on": d(start + timedelta(days=60 + 180)), "decision_number": "12-QĐ/ĐU"},
            )  # fmt: skip
        if state == "not_admitted":
            procedures.case_act(
                actor=grassroots_user, case=case, action="not_admit",
                data={"decided_on": d(start + timedelta(days=40)), "note": "Chi bộ chưa đủ điều kiện xem xét trong năm"},
            )  # fmt: skip
        if state == "stalled":
            # typed long ago: no step since, so the daily job flags it
            old = timezone.now() - timedelta(days=250)
            CaseStep.objects.filter(case=case).update(at=old)
            Case.objects.filter(pk=case.pk).update(opened_at=old)
    referral.referrals_flag_stalled(today=today)
