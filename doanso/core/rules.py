"""The one place for numbers the Union may change.

The procedures issue turns these into dated rule sets editable by the Central
level; until then every check reads them from here, never from literals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class MembershipRules:
    admission_min_age: int = 16
    # (?) Union guides count the lower bound as "15 years + 1 day", the Youth Law
    # as the 16th birthday; False = 16th birthday.
    admission_min_age_counts_from_15_plus_1_day: bool = False
    admission_max_age: int = 30
    max_age_with_extension: int = 35  # (?)
    branch_min_members: int = 3


def rules_on(day: date | None = None) -> MembershipRules:
    return MembershipRules()
