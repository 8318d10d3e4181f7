from django.db import migrations


def grant(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    for role in Role.objects.filter(code="secretary"):
        if "rules.manage" not in role.permissions:
            role.permissions = [*role.permissions, "rules.manage"]
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
