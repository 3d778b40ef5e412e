from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing import services
from billing.services.reference import SHIPPED_BOOK


class Command(BaseCommand):
    help = (
        "Load the E.212/E.164 reference book (countries, networks, derived number prefixes) from CSV."
        " Safe to run repeatedly: rows are created or updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default=str(SHIPPED_BOOK), help="CSV file (default: the shipped book)")
        parser.add_argument("--no-prefixes", action="store_true", help="do not derive number prefixes")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = services.parse_book_csv(Path(options["path"]).read_bytes())
            report = services.reference_book_load(rows=rows, derive_prefixes=not options["no_prefixes"])
        except (OSError, ValidationError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Reference book: {report.countries} countries, {report.networks} networks,"
                f" {report.prefixes} number prefixes."
            )
        )
