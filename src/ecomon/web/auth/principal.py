"""Who is asking: the principal every data query is scoped to."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("admin", "centre", "reviewer", "enforcement", "department", "enterprise", "public")
# Staff see preliminary (unreleased) data, labelled by review_state; public and anonymous see released data only.
STAFF_ROLES = frozenset({"admin", "centre", "reviewer", "enforcement", "department"})
# Roles that may read ingest logs and reject reports (operators of the data flow).
INGEST_ROLES = frozenset({"admin", "centre", "reviewer"})


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    role: str
    region_code: str | None = None
    enterprise_id: int | None = None
    via: str = "anonymous"                     # anonymous | session | token
    scopes: frozenset[str] = field(default_factory=lambda: frozenset({"read"}))
    session_hash: str | None = None
    csrf_token: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def released_only(self) -> bool:
        """Public and anonymous callers see only released observations (review_state = 3)."""
        return self.role not in STAFF_ROLES and self.role != "enterprise"


ANONYMOUS = Principal(user_id=None, username="anonymous", role="public")
