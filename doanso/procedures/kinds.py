"""Each procedure declares its states and transitions here: data, not code paths in views.

A transition names the states it leaves, the state it reaches (or a function choosing
it), who may take it ("deciding": the unit the case waits for, or one above it;
"origin": the unit that opened it, or one above it), the fields it requires, and the
kind's `check`/`apply` hooks. services.case_act is the only code that runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .choices import CaseKind


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str
    who: str  # "deciding" | "origin"
    requires: tuple[str, ...] = ()
    danger: bool = False
    # Inputs the generic case page renders: (name, label, type) with type date|month|text|textarea.
    fields: tuple[tuple[str, str, str], ...] = (("note", "Lý do / ghi chú", "textarea"),)


@dataclass
class KindSpec:
    code: str
    states: dict[str, str]
    initial: str
    final: set[str]
    transitions: dict[str, Transition] = field(default_factory=dict)
    check: dict[str, Callable] = field(default_factory=dict)
    apply: dict[str, Callable] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(CaseKind(self.code).label)

    def add(self, t: Transition) -> None:
        self.transitions[t.action] = t


REGISTRY: dict[str, KindSpec] = {}


def register(spec: KindSpec) -> KindSpec:
    REGISTRY[spec.code] = spec
    return spec


def spec_for(kind: str) -> KindSpec:
    return REGISTRY[kind]


# ---------------------------------------------------------------- admission (kết nạp)

ADMISSION = register(
    KindSpec(
        code=CaseKind.ADMISSION,
        states={
            "prepared": "Chi đoàn chuẩn bị hồ sơ",
            "branch_approved": "Chi đoàn đã biểu quyết — chờ cấp trên chuẩn y",
            "approved": "Đã chuẩn y — đã kết nạp",
            "not_passed": "Không đạt biểu quyết của chi đoàn",
            "rejected": "Cấp trên không chuẩn y",
            "withdrawn": "Đã rút hồ sơ",
        },
        initial="prepared",
        final={"approved", "not_passed", "rejected", "withdrawn"},
    )
)
ADMISSION.add(
    Transition(
        "vote",
        "Ghi kết quả biểu quyết của chi đoàn",
        frozenset({"prepared"}),
        "branch_approved",
        "deciding",
        ("meeting_on", "present", "votes"),
    )  # fmt: skip
)
ADMISSION.add(
    Transition(
        "approve",
        "Chuẩn y kết nạp",
        frozenset({"branch_approved"}),
        "approved",
        "deciding",
        ("decision_number", "decision_on", "signer"),
    )  # fmt: skip
)
ADMISSION.add(
    Transition("reject", "Không chuẩn y", frozenset({"branch_approved"}), "rejected", "deciding", ("note",), True)
)
ADMISSION.add(
    Transition(
        "return", "Trả lại chi đoàn bổ sung hồ sơ", frozenset({"branch_approved"}), "prepared", "deciding", ("note",)
    )
)
ADMISSION.add(
    Transition(
        "withdraw", "Rút hồ sơ", frozenset({"prepared", "branch_approved"}), "withdrawn", "origin", ("note",), True
    )
)


# ---------------------------------------------------------------- transfer (chuyển sinh hoạt)

TRANSFER = register(
    KindSpec(
        code=CaseKind.TRANSFER,
        states={
            "requested": "Đã đề nghị — chờ đơn vị đi giải quyết",
            "released": "Đơn vị đi đã cho chuyển — đoàn viên đang chuyển sinh hoạt, chờ đơn vị đến tiếp nhận",
            "placed": "Đã tiếp nhận và xếp vào chi đoàn",
            "refused": "Đơn vị đến không tiếp nhận — trả về đơn vị đi",
            "expired": "Quá hạn không tiếp nhận — trả về đơn vị đi",
            "withdrawn": "Đã rút đề nghị",
            "left_system": "Đã chuyển ra ngoài hệ thống — có giấy giới thiệu sinh hoạt Đoàn",
        },
        initial="requested",
        final={"placed", "refused", "expired", "withdrawn", "left_system"},
    )
)
TRANSFER.add(
    Transition(
        "release",
        "Cho chuyển sinh hoạt (nhận xét, đoàn phí đã đóng)",
        frozenset({"requested"}),
        "released",
        "deciding",
        ("remarks",),  # dues_paid_to: from the unit's dues book where it keeps one (services._transfer_release)
        fields=(
            ("remarks", "Nhận xét của đơn vị đi", "textarea"),
            ("dues_paid_to", "Đoàn phí đã đóng đến tháng (để trống: theo sổ đoàn phí)", "month"),
        ),
    )  # fmt: skip
)
TRANSFER.add(
    Transition("accept", "Tiếp nhận và xếp vào chi đoàn", frozenset({"released"}), "placed", "deciding", ("branch",))
)
TRANSFER.add(Transition("refuse", "Không tiếp nhận", frozenset({"released"}), "refused", "deciding", ("note",), True))
TRANSFER.add(Transition("withdraw", "Rút đề nghị", frozenset({"requested"}), "withdrawn", "origin", ("note",), True))


# ---------------------------------------------------------------- ageing out (trưởng thành Đoàn)

AGEING_OUT = register(
    KindSpec(
        code=CaseKind.AGEING_OUT,
        states={
            "proposed": "Chi đoàn lập danh sách — chờ tổ chức trưởng thành",
            "done": "Đã trưởng thành Đoàn",
            "withdrawn": "Đã hủy danh sách",
        },  # fmt: skip
        initial="proposed",
        final={"done", "withdrawn"},
    )
)
AGEING_OUT.add(
    Transition(
        "confirm",
        "Xác nhận trưởng thành Đoàn (ngày tổ chức lễ)",
        frozenset({"proposed"}),
        "done",
        "deciding",
        ("ceremony_on",),
        fields=(("ceremony_on", "Ngày tổ chức lễ trưởng thành", "date"), ("note", "Ghi chú", "text")),
    )  # fmt: skip
)
AGEING_OUT.add(Transition("withdraw", "Hủy danh sách", frozenset({"proposed"}), "withdrawn", "origin", ("note",), True))

AGE_EXTENSION = register(
    KindSpec(
        code=CaseKind.AGE_EXTENSION,
        states={
            "requested": "Đoàn viên đề nghị ở lại sinh hoạt — chờ chi đoàn quyết định",
            "granted": "Chi đoàn đồng ý",
            "refused": "Chi đoàn không đồng ý",
        },  # fmt: skip
        initial="requested",
        final={"granted", "refused"},
    )
)
AGE_EXTENSION.add(
    Transition(
        "grant",
        "Đồng ý cho ở lại sinh hoạt",
        frozenset({"requested"}),
        "granted",
        "deciding",
        fields=(("note", "Căn cứ (biên bản họp chi đoàn)", "text"),),
    )  # fmt: skip
)
AGE_EXTENSION.add(
    Transition("refuse", "Không đồng ý", frozenset({"requested"}), "refused", "deciding", ("note",), True)
)

# ---------------------------------------------------------------- working away (đi làm ăn xa)

WORKING_AWAY = register(
    KindSpec(
        code=CaseKind.WORKING_AWAY,
        states={
            "reported": "Đoàn viên báo đi làm ăn xa — chờ chi đoàn xác nhận",
            "away": "Đang đi làm ăn xa",
            "returned": "Đã trở về sinh hoạt",
            "refused": "Chi đoàn không xác nhận",
        },  # fmt: skip
        initial="reported",
        final={"returned", "refused"},
    )
)
WORKING_AWAY.add(
    Transition(
        "approve",
        "Xác nhận đi làm ăn xa",
        frozenset({"reported"}),
        "away",
        "deciding",
        (),
        fields=(("note", "Ghi chú", "text"),),
    )
)
WORKING_AWAY.add(
    Transition("refuse", "Không xác nhận", frozenset({"reported"}), "refused", "deciding", ("note",), True)
)
WORKING_AWAY.add(
    Transition(
        "return",
        "Ghi nhận trở về sinh hoạt",
        frozenset({"away"}),
        "returned",
        "deciding",
        ("returned_on",),
        fields=(("returned_on", "Ngày trở về", "date"),),
    )  # fmt: skip
)

# ---------------------------------------------------------------- removal (xóa tên)

REMOVAL = register(
    KindSpec(
        code=CaseKind.REMOVAL,
        states={
            "proposed": "Đề nghị xóa tên — chờ chi đoàn quyết định",
            "removed": "Đã xóa tên",
            "kept": "Chi đoàn không xóa tên",
        },  # fmt: skip
        initial="proposed",
        final={"removed", "kept"},
    )
)
REMOVAL.add(
    Transition(
        "decide",
        "Chi đoàn quyết định xóa tên",
        frozenset({"proposed"}),
        "removed",
        "deciding",
        ("meeting_on",),
        fields=(("meeting_on", "Ngày họp chi đoàn", "date"), ("note", "Căn cứ", "text")),
        danger=True,
    )  # fmt: skip
)
REMOVAL.add(Transition("keep", "Không xóa tên", frozenset({"proposed"}), "kept", "deciding", ("note",)))


# ---------------------------------------------------------------- honorary member (đoàn viên danh dự)

HONORARY = register(
    KindSpec(
        code=CaseKind.HONORARY,
        states={
            "nominated": "Đã đề nghị — chờ cấp tỉnh trở lên công nhận",
            "recognised": "Đã công nhận",
            "declined": "Không công nhận",
        },  # fmt: skip
        initial="nominated",
        final={"recognised", "declined"},
    )
)
HONORARY.add(
    Transition(
        "recognise",
        "Công nhận đoàn viên danh dự",
        frozenset({"nominated"}),
        "recognised",
        "deciding",
        ("decision_number", "decision_on"),
        fields=(("decision_number", "Số quyết định", "text"), ("decision_on", "Ngày quyết định", "date")),
    )  # fmt: skip
)
HONORARY.add(
    Transition("decline", "Không công nhận", frozenset({"nominated"}), "declined", "deciding", ("note",), True)
)

# ---------------------------------------------------------------- discipline (kỷ luật)

DISCIPLINE = register(
    KindSpec(
        code=CaseKind.DISCIPLINE,
        states={
            "proposed": "Đề nghị kỷ luật — chờ biểu quyết (bỏ phiếu kín)",
            "voted": "Đã biểu quyết — chờ ra quyết định",
            "decided": "Đã quyết định kỷ luật",
            "not_passed": "Biểu quyết không đạt — không kỷ luật",
            "withdrawn": "Đã rút đề nghị",
        },  # fmt: skip
        initial="proposed",
        final={"decided", "not_passed", "withdrawn"},
    )
)
DISCIPLINE.add(
    Transition(
        "ballot",
        "Ghi kết quả bỏ phiếu kín",
        frozenset({"proposed"}),
        "voted",
        "deciding",
        ("present", "for"),
        fields=(
            ("present", "Số có mặt", "text"),
            ("for", "Số phiếu đồng ý kỷ luật", "text"),
            ("against", "Số phiếu không đồng ý", "text"),
        ),
    )  # fmt: skip
)
DISCIPLINE.add(
    Transition(
        "decide",
        "Ra quyết định kỷ luật",
        frozenset({"voted"}),
        "decided",
        "deciding",
        ("decision_number", "decision_on"),
        fields=(("decision_number", "Số quyết định", "text"), ("decision_on", "Ngày quyết định", "date")),
    )  # fmt: skip
)
DISCIPLINE.add(Transition("withdraw", "Rút đề nghị", frozenset({"proposed"}), "withdrawn", "origin", ("note",), True))


# ---------------------------------------------------------------- residence and temporary activity


def _attachment(code: str, host_label: str) -> KindSpec:
    spec = register(
        KindSpec(
            code=code,
            states={
                "requested": f"Đã giới thiệu — chờ {host_label} tiếp nhận",
                "hosted": "Đang sinh hoạt tại đơn vị tiếp nhận",
                "ended": "Đã kết thúc",
                "refused": "Đơn vị tiếp nhận từ chối",
            },  # fmt: skip
            initial="requested",
            final={"ended", "refused"},
        )
    )
    spec.add(
        Transition(
            "accept",
            "Tiếp nhận sinh hoạt",
            frozenset({"requested"}),
            "hosted",
            "deciding",
            (),
            fields=(("note", "Ghi chú", "text"),),
        )
    )
    spec.add(Transition("refuse", "Không tiếp nhận", frozenset({"requested"}), "refused", "deciding", ("note",), True))
    spec.add(
        Transition(
            "remarks",
            "Gửi nhận xét về đơn vị nhà",
            frozenset({"hosted"}),
            "hosted",
            "deciding",
            ("remarks",),
            fields=(("remarks", "Nhận xét (phục vụ đánh giá, xếp loại cuối năm)", "textarea"),),
        )  # fmt: skip
    )
    spec.add(
        Transition(
            "end", "Kết thúc sinh hoạt tại đơn vị tiếp nhận", frozenset({"hosted"}), "ended", "origin", ("note",)
        )
    )
    return spec


RESIDENCE = _attachment(CaseKind.RESIDENCE, "Đoàn nơi cư trú")
TEMPORARY = _attachment(CaseKind.TEMPORARY, "đơn vị sinh hoạt tạm thời")


# ---------------------------------------------------------------- outstanding member for the Party (đoàn viên ưu tú)
# The branch nominates (a branch meeting resolution); the grassroots committee introduces the member
# to the Party cell and then records what the Party decides, each step dated. Hooks: procedures/referral.py.

PARTY_REFERRAL = register(
    KindSpec(
        code=CaseKind.PARTY_REFERRAL,
        states={
            "nominated": "Chi đoàn đã đề nghị — chờ Đoàn cơ sở giới thiệu với chi bộ Đảng",
            "introduced": "Đã giới thiệu với chi bộ — chờ lớp bồi dưỡng “Nhận thức về Đảng”",
            "course_done": "Đã có giấy chứng nhận “Nhận thức về Đảng” — chờ kết nạp Đảng",
            "probationary": "Đã được kết nạp Đảng (đảng viên dự bị) — chờ công nhận chính thức",
            "official": "Đã là đảng viên chính thức",
            "not_admitted": "Không được kết nạp Đảng",
            "withdrawn": "Đã rút đề nghị",
        },
        initial="nominated",
        final={"official", "not_admitted", "withdrawn"},
    )
)
PARTY_REFERRAL.add(
    Transition(
        "introduce",
        "Giới thiệu đoàn viên ưu tú với chi bộ Đảng",
        frozenset({"nominated"}),
        "introduced",
        "deciding",
        ("introduced_on", "party_cell"),
        fields=(
            ("introduced_on", "Ngày giới thiệu", "date"),
            ("party_cell", "Chi bộ Đảng tiếp nhận", "text"),
            ("note", "Ghi chú", "text"),
        ),
    )  # fmt: skip
)
PARTY_REFERRAL.add(
    Transition(
        "course",
        "Ghi nhận giấy chứng nhận lớp “Nhận thức về Đảng”",
        frozenset({"introduced"}),
        "course_done",
        "deciding",
        ("certificate_number", "certificate_on"),
        fields=(
            ("certificate_number", "Số giấy chứng nhận", "text"),
            ("certificate_on", "Ngày cấp giấy chứng nhận", "date"),
        ),
    )  # fmt: skip
)
PARTY_REFERRAL.add(
    Transition(
        "admit",
        "Ghi nhận kết nạp Đảng (đảng viên dự bị)",
        frozenset({"course_done"}),
        "probationary",
        "deciding",
        ("admitted_on", "decision_number"),
        fields=(
            ("admitted_on", "Ngày kết nạp Đảng", "date"),
            ("decision_number", "Số quyết định kết nạp", "text"),
        ),
    )  # fmt: skip
)
PARTY_REFERRAL.add(
    Transition(
        "confirm",
        "Ghi nhận công nhận đảng viên chính thức",
        frozenset({"probationary"}),
        "official",
        "deciding",
        ("official_on",),
        fields=(
            ("official_on", "Ngày công nhận chính thức", "date"),
            ("decision_number", "Số quyết định công nhận", "text"),
        ),
    )  # fmt: skip
)
PARTY_REFERRAL.add(
    Transition(
        "not_admit",
        "Ghi nhận không được kết nạp Đảng",
        frozenset({"nominated", "introduced", "course_done", "probationary"}),
        "not_admitted",
        "deciding",
        ("decided_on", "note"),
        danger=True,
        fields=(("decided_on", "Ngày", "date"), ("note", "Lý do", "textarea")),
    )  # fmt: skip
)
PARTY_REFERRAL.add(
    Transition("withdraw", "Rút đề nghị", frozenset({"nominated"}), "withdrawn", "origin", ("note",), True)
)
