"""Production settings are safe by default: DEBUG off, secret key required, `check --deploy` clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy():
    env = {
        "DJANGO_SECRET_KEY": "x7!k2@p9#q4$w8%e3^r6&t1*y5(u0)i-o+p=a[s]d{f}g|h;j:k'l,z.x/c?v<b>n",
        "DJANGO_ALLOWED_HOSTS": "doanso.example.vn",
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_outside_debug():
    result = _manage("check", env={"DJANGO_ALLOWED_HOSTS": "doanso.example.vn"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG)"
    env = {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT, env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **env},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.stdout.strip() == "False", out.stderr
