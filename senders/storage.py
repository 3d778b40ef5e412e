"""Where sender ID documents and logos live: a storage with no public URL, read only through guarded views."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, Storage, storages

PRIVATE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under ``PRIVATE_MEDIA_ROOT``, outside ``MEDIA_ROOT``; ``url()`` refuses, so only views serve them."""

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL; serve them through a view that checks access")


def private_storage() -> Storage:
    """The ``private`` entry of ``STORAGES`` (tests keep its files in memory)."""
    return storages[PRIVATE_ALIAS]
