"""Load the shipped reference book (billing/data/networks.csv) and its derived number prefixes."""

from collections import Counter

from django.db import migrations


def load(apps, schema_editor):
    from billing.services.reference import SHIPPED_BOOK, derived_prefixes, parse_book_csv

    Country = apps.get_model("billing", "Country")
    Network = apps.get_model("billing", "Network")
    NumberPrefix = apps.get_model("billing", "NumberPrefix")
    rows = parse_book_csv(SHIPPED_BOOK.read_bytes())
    mccs = {}
    for row in rows:
        mccs.setdefault(row.iso, Counter())[row.mcc] += 1
    countries = {}
    for row in rows:
        if row.iso not in countries:
            countries[row.iso], _ = Country.objects.update_or_create(
                iso_code=row.iso,
                defaults={"name": row.country, "dial_code": row.dial_code, "mcc": mccs[row.iso].most_common(1)[0][0]},
            )
    networks = []
    for row in rows:
        network, _ = Network.objects.update_or_create(
            mcc=row.mcc,
            mnc=row.mnc,
            defaults={"country": countries[row.iso], "name": row.network, "carrier_names": "|".join(row.carriers)},
        )
        networks.append((network.pk, row.iso, network.carrier_names))
    derived = derived_prefixes(networks)
    NumberPrefix.objects.bulk_create(
        [NumberPrefix(prefix=prefix, network_id=network_id) for prefix, network_id in sorted(derived.items())],
        batch_size=2000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
