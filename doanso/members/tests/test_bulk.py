"""members.bulk: the helpers the bulk writers share."""

from __future__ import annotations

import pytest
from django.db import connection

from doanso.members.bulk import reserve_member_ids
from doanso.members.models import Member


@pytest.mark.django_db
def test_reserved_member_ids_are_increasing_and_new(cast):
    first = reserve_member_ids(500)
    assert first == sorted(set(first)) and len(first) == 500
    assert first[0] > max(Member.objects.values_list("pk", flat=True))
    assert reserve_member_ids(0) == []
    if connection.vendor == "postgresql":  # from the sequence: taken, so never given twice
        second = reserve_member_ids(3)
        assert second == list(range(first[-1] + 1, first[-1] + 4))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the id sequence")
@pytest.mark.django_db
def test_reserved_member_ids_that_are_not_contiguous_are_fetched_one_by_one(cast):
    """When the sequence does not hand out a run (here it steps by 3, as interleaved writers
    would leave gaps), the ids taken are the ones returned, not a range made up from the ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Member._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 3")
        try:
            ids = reserve_member_ids(4)
            cursor.execute(f"SELECT last_value FROM {sequence}")
            last = cursor.fetchone()[0]
        finally:
            cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
    assert ids == [last - 9, last - 6, last - 3, last]
