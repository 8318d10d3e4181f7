"""Print the demo logins that exist in this database, one per level."""

from django.core.management.base import BaseCommand

from doanso.accounts.models import User

from .seed_demo import DEMO_PASSWORD

ORDER = ["trunguong", "tinhdoan", "thanhdoancantho", "xa", "vanphong", "chidoan"]


class Command(BaseCommand):
    help = "In danh sách tài khoản dùng thử."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        officials = {u.username: u for u in User.objects.filter(username__in=ORDER).select_related("unit", "role")}
        member = (
            User.objects.filter(kind=User.Kind.MEMBER, created_by__username="trunguong")
            .select_related("member__unit")
            .first()
        )
        if not officials and not member:
            self.stdout.write("Chưa có tài khoản dùng thử (chạy: manage.py seed_demo).")
            return
        rows = [(u.username, u.role.name, u.unit.name) for name in ORDER if (u := officials.get(name))]
        if member:
            rows.append((member.member.citizen_id, "Đoàn viên (đăng nhập bằng số CCCD)", member.member.unit.name))
        width = max(len(r[0]) for r in rows)
        self.stdout.write("")
        self.stdout.write(
            f"Đoàn Số đang chạy tại http://127.0.0.1:{options['port']}/ — tài khoản dùng thử (mật khẩu: {DEMO_PASSWORD}):"
        )
        for login, role, unit in rows:
            self.stdout.write(f"  {login.ljust(width)}  {role} — {unit}")
        self.stdout.write("")
