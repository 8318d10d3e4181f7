from django.core.management.base import BaseCommand

from doanso.procedures.services import transfers_expire


class Command(BaseCommand):
    help = "Trả về đơn vị đi các hồ sơ chuyển sinh hoạt quá hạn không được tiếp nhận (chạy hằng ngày)."

    def handle(self, *args, **options):
        self.stdout.write(f"Đã trả về {transfers_expire()} hồ sơ quá hạn.")
