from django.db import migrations

from doanso.accounts.roles import STANDARD_ROLES


def load(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for code, name, rank, perms in STANDARD_ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name, "rank": rank, "permissions": perms})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
