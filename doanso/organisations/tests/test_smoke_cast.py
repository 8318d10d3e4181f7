from doanso.members.models import Member, MemberStat
from doanso.organisations.models import Unit


def test_cast_builds_through_services(cast):
    assert Unit.objects.count() == 1 + 2 + 4 + 8
    assert Member.objects.count() == 24
    assert sum(MemberStat.objects.values_list("count", flat=True)) == 24
    assert Member.objects.filter(scope1=cast.p1.pk).count() == 12
    assert Member.objects.filter(scope2=cast.c11.pk).count() == 6
