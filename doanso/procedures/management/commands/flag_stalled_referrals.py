from django.core.management.base import BaseCommand

from doanso.procedures.referral import referrals_flag_stalled


class Command(BaseCommand):
    help = (
        "Báo các hồ sơ giới thiệu đoàn viên ưu tú cho Đảng chậm tiến độ (không có bước mới sau số tháng "
        "theo quy định) tới Đoàn cơ sở và cấp trên — mỗi lần chậm báo một lần (chạy hằng ngày)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Đã báo {referrals_flag_stalled()} hồ sơ chậm tiến độ.")
