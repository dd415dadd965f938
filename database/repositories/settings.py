"""Server-wide settings (collection ``settings``) and the applied data-layout versions
(collection ``versions``): mongoengine, as the migrations that read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model.settings import DatabaseVersion, Settings


class SettingsRepository:
    def value(self, key: str) -> Any:
        """The setting's value, None when it is unset."""
        found = Settings.objects(key=key).first()
        return found.value if found else None

    def store(self, key: str, value: Any) -> None:
        Settings(key=key, value=value).save()

    def has_version(self, num: str) -> bool:
        return DatabaseVersion.objects(num=num).only("id").first() is not None

    def add_version(self, version_id: str, num: str, created: datetime, desc: str) -> None:
        DatabaseVersion(id=version_id, num=num, created=created, desc=desc).save()
