"""manage.py import_members FILE --unit CODE: the national migration of members from a CSV file."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from doanso.imports.stream import ImportFileError, import_csv
from doanso.members.bulk import vi_int


class Command(BaseCommand):
    help = (
        "Nhập đoàn viên từ tệp CSV (UTF-8, dòng đầu là tên cột theo tệp mẫu) vào các chi đoàn thuộc đơn vị --unit. "
        "Dòng lỗi được ghi vào FILE.errors.csv; điểm dừng được ghi sau mỗi lô để tiếp tục bằng --resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--unit", required=True, help="mã đơn vị nhận (tỉnh, xã, … hoặc chi đoàn)")
        parser.add_argument("--resume", action="store_true", help="tiếp tục sau lô cuối cùng đã ghi")
        parser.add_argument("--checkpoint", help="tệp điểm dừng (mặc định FILE.checkpoint.json)")
        parser.add_argument("--batch", type=int, default=10_000, help="số dòng mỗi lô (mỗi lô một giao dịch)")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không ghi gì vào cơ sở dữ liệu")
        parser.add_argument(
            "--first-load", action="store_true",
            help="lần nạp đầu (di chuyển dữ liệu toàn quốc, khi hệ thống chưa dùng): bỏ chỉ mục phụ và khóa ngoại "
            "của bảng đoàn viên trong khi nạp, dựng lại (và kiểm tra) khi xong; chỉ PostgreSQL",
        )  # fmt: skip
        parser.add_argument(
            "--workers", type=int, default=0,
            help="số tiến trình kiểm tra riêng (mặc định 0: kiểm tra trong một luồng của lệnh này, song song với ghi)",
        )  # fmt: skip

    def handle(self, *args, **opts):
        if opts["batch"] < 1:
            raise CommandError("--batch phải lớn hơn 0.")
        if opts["workers"] < 0:
            raise CommandError("--workers không được âm.")
        say = self.stdout.write
        try:
            report = import_csv(
                opts["file"], unit=opts["unit"], batch=opts["batch"], checkpoint=opts["checkpoint"],
                resume=opts["resume"], dry_run=opts["dry_run"], first_load=opts["first_load"],
                workers=opts["workers"], progress=say,
            )  # fmt: skip
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        verb = "Kiểm tra" if opts["dry_run"] else "Nhập"
        say(
            f"{verb} xong: {vi_int(report.read)} dòng trong {report.seconds:.1f}s "
            f"({vi_int(round(report.rate))} dòng/s); hợp lệ{'' if opts['dry_run'] else ' và đã ghi'} "
            f"{vi_int(report.imported)}, lỗi {vi_int(report.rejected)}"
            + (f" (xem {report.errors_path})" if report.rejected else "")
            + "."
        )
