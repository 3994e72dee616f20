"""Authentication and authorisation: principals, sessions, API tokens, roles, region/enterprise scope."""

from ecomon.web.auth.deps import Caller, Conn, LoggedIn, Staff, current_principal, require_roles
from ecomon.web.auth.principal import ROLES, STAFF_ROLES, Principal

__all__ = ["ROLES", "STAFF_ROLES", "Caller", "Conn", "LoggedIn", "Principal", "Staff", "current_principal",
           "require_roles"]
