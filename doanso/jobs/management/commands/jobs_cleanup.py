"""Delete old export files and close jobs left "running" by a worker that died. Run daily."""

from django.core.management.base import BaseCommand

from doanso.jobs.services import job_cleanup


class Command(BaseCommand):
    help = "Xóa tệp kết quả cũ (quá JOBS_KEEP_DAYS ngày) và đóng các công việc bị dừng giữa chừng."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="giữ tệp bao nhiêu ngày (mặc định JOBS_KEEP_DAYS)")

    def handle(self, *args, days=None, **options):
        deleted, failed = job_cleanup(keep_days=days)
        self.stdout.write(f"Đã xóa {deleted} tệp cũ; đóng {failed} công việc bị dừng giữa chừng.")
