from __future__ import annotations

from django.core.files.storage import Storage

from senders.models import SenderIDDocument


def private_storage() -> Storage:
    return SenderIDDocument._meta.get_field("file").storage  # type: ignore[attr-defined,no-any-return]


def stored_files(folder: str = "sender-ids") -> set[str]:
    """Every file under ``folder`` of the private storage."""
    storage = private_storage()
    try:
        directories, files = storage.listdir(folder)
    except FileNotFoundError:
        return set()
    found = {f"{folder}/{name}" for name in files}
    for directory in directories:
        found |= stored_files(f"{folder}/{directory}")
    return found
