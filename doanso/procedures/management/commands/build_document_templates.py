from django.core.management.base import BaseCommand

from doanso.procedures.documents import build_templates


class Command(BaseCommand):
    help = "Tạo lại các mẫu văn bản .docx mặc định (quyết định chuẩn y kết nạp, giấy giới thiệu sinh hoạt Đoàn)."

    def handle(self, *args, **options):
        for path in build_templates():
            self.stdout.write(f"Đã ghi {path}")
