"""Residence and temporary activity: the host sees the member only for the period, sends remarks home."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from doanso.members.models import Member
from doanso.procedures import services
from doanso.procedures.models import Case, Notification

pytestmark = pytest.mark.django_db
TODAY = date.today()


def open_residence(cast, **kw):
    data = {"starts_on": TODAY - timedelta(days=10), "ends_on": TODAY + timedelta(days=170)}
    data.update(kw)
    return services.attachment_open(
        actor=cast.users["c11"], kind="residence", member=cast.m_b111_1, host=cast.c21, **data
    )


def test_host_accepts_sends_remarks_and_the_home_unit_keeps_the_file(cast):
    case = open_residence(cast)
    host = cast.users["c21"]
    assert Case.objects.restrict(host).filter(pk=case.pk).exists()
    assert not Case.objects.restrict(cast.users["c22"]).filter(pk=case.pk).exists()
    services.case_act(actor=host, case=case, action="accept", data={})
    services.case_act(
        actor=host, case=case, action="remarks", data={"remarks": "Tích cực tham gia hoạt động ở khu dân cư"}
    )
    assert Notification.objects.filter(unit=cast.c11, case=case, message__contains="Tích cực").exists()
    m = Member.objects.get(pk=cast.m_b111_1.pk)
    assert m.unit == cast.b111 and m.status == "active"  # the home unit keeps the file
    # The host never sees the member's other data, nor the home unit's other members.
    assert not Member.objects.restrict(host).filter(pk=m.pk).exists()
    # The grant ends by itself.
    Case.objects.filter(pk=case.pk).update(access_until=TODAY - timedelta(days=1))
    assert not Case.objects.restrict(host).filter(pk=case.pk).exists()
    assert Case.objects.restrict(cast.users["c11"]).filter(pk=case.pk).exists()


def test_temporary_activity_is_capped_and_needs_another_unit(cast):
    with pytest.raises(ValidationError, match="tối đa 12 tháng"):
        services.attachment_open(
            actor=cast.users["c11"], kind="temporary", member=cast.m_b111_1, host=cast.c21,
            starts_on=TODAY, ends_on=TODAY + timedelta(days=400),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="khác đơn vị nhà"):
        services.attachment_open(
            actor=cast.users["c11"],
            kind="temporary",
            member=cast.m_b111_1,
            host=cast.c11,
            starts_on=TODAY,
            ends_on=TODAY + timedelta(days=30),
        )
    assert not Case.objects.exists()


def test_host_page_shows_the_case_until_it_ends(cast, client):
    case = open_residence(cast)
    client.force_login(cast.users["c21"])
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 200
    assert client.get(reverse("member_detail", args=[cast.m_b111_1.pk])).status_code == 404
    Case.objects.filter(pk=case.pk).update(access_until=TODAY - timedelta(days=1))
    assert client.get(reverse("case_detail", args=[case.pk])).status_code == 404
