"""The standard roles held at a unit. Stronger roles hold a superset of weaker roles' permissions."""

from doanso.core.scope import PERMISSIONS

ALL = list(PERMISSIONS)

STANDARD_ROLES = [
    ("secretary", "Bí thư", 40, ALL),
    (
        "deputy_secretary",
        "Phó Bí thư",
        30,
        [
            "unit.view",
            "unit.manage",
            "member.view",
            "member.manage",
            "member.export",
            "account.view",
            "account.manage",
            "audit.view",
        ],
    ),
    (
        "committee_member",
        "Ủy viên Ban Chấp hành",
        20,
        ["unit.view", "member.view", "member.manage", "member.export", "account.view", "audit.view"],
    ),
    ("clerk", "Cán bộ văn phòng", 10, ["unit.view", "member.view", "member.manage", "audit.view"]),
]
