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
        },
        initial="requested",
        final={"placed", "refused", "expired", "withdrawn"},
    )
)
TRANSFER.add(
    Transition(
        "release",
        "Cho chuyển sinh hoạt (nhận xét, đoàn phí đã đóng)",
        frozenset({"requested"}),
        "released",
        "deciding",
        ("remarks", "dues_paid_to"),
    )  # fmt: skip
)
TRANSFER.add(
    Transition("accept", "Tiếp nhận và xếp vào chi đoàn", frozenset({"released"}), "placed", "deciding", ("branch",))
)
TRANSFER.add(Transition("refuse", "Không tiếp nhận", frozenset({"released"}), "refused", "deciding", ("note",), True))
TRANSFER.add(Transition("withdraw", "Rút đề nghị", frozenset({"requested"}), "withdrawn", "origin", ("note",), True))
