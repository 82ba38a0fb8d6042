"""Who is acting: passed explicitly to services so web, CLI and workers share them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class ActingUser(Protocol):
    id: int
    email: str
    is_platform_admin: bool


@dataclass(frozen=True)
class Actor:
    """The acting user (``None`` for anonymous or the system) and where the action came from."""

    user: ActingUser | None
    ip: str | None = None
    via: str = "web"  # web | cli | worker

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def is_platform_admin(self) -> bool:
        return bool(self.user is not None and self.user.is_platform_admin)

    @property
    def base_role(self) -> str:
        if self.user is None:
            return "system" if self.via != "web" else "anonymous"
        return "platform_admin" if self.user.is_platform_admin else "user"


SYSTEM = Actor(user=None, via="system")
