from django.db import migrations


def fill_factor(apps, schema_editor):  # type: ignore[no-untyped-def]
    """Leave room on each page so that updating a contact (imports do it a million times) stays on its page:
    PostgreSQL then updates it in place without touching the indexes (a "HOT" update)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contacts_contact SET (fillfactor = 85)")


def reset_fill_factor(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE contacts_contact RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_contact_informative_keys")]

    operations = [migrations.RunPython(fill_factor, reset_fill_factor, elidable=False)]
