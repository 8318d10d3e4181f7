import pytest
from django.utils import timezone

from doanso.training import services

AREAS = [
    {"name": "Học tập", "targets": "Đọc 2 cuốn sách mỗi quý", "assessment": "Chi đoàn đánh giá qua báo cáo"},
    {"name": "Rèn luyện đạo đức, lối sống", "targets": "Chấp hành tốt nội quy", "assessment": "Nhận xét của chi đoàn"},
    {"name": "Tình nguyện", "targets": "Tham gia 2 hoạt động tình nguyện", "assessment": "Xác nhận của ban tổ chức"},
]


@pytest.fixture
def year() -> int:
    return timezone.localdate().year


@pytest.fixture
def central_programme(cast, year):
    return services.programme_create(
        actor=cast.users["central"], unit=cast.tw, year=year, title="Chương trình rèn luyện toàn quốc",
        areas=AREAS, publish=True,
    )  # fmt: skip


@pytest.fixture
def p1_programme(cast, year):
    return services.programme_create(
        actor=cast.users["p1"], unit=cast.p1, year=year, title="Chương trình rèn luyện An Giang",
        areas=AREAS[:2], publish=True,
    )  # fmt: skip


def targets_for(programme) -> dict:
    return {a.pk: f"Chỉ tiêu cá nhân về {a.name.lower()}" for a in programme.areas.all()}
