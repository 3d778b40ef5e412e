"""Where sender ID documents and logos live: a storage with no public URL, read only through guarded views."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property

PRIVATE_ALIAS = "private"


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under ``MEDIA_ROOT/private``; the web server never serves them and ``url()`` refuses."""

    @cached_property
    def base_location(self) -> Any:
        location = self._location  # type: ignore[attr-defined]
        return self._value_or_setting(location, os.path.join(settings.MEDIA_ROOT, "private"))

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL; serve them through a view that checks access")


_filesystem = PrivateFileSystemStorage()


def private_storage() -> Storage:
    """The ``private`` entry of ``STORAGES`` when configured (tests keep files in memory), else MEDIA_ROOT/private."""
    if PRIVATE_ALIAS in settings.STORAGES:
        return storages[PRIVATE_ALIAS]
    return _filesystem
