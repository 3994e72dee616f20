"""Accounts, sessions and API tokens in PostgreSQL (one async implementation, used by the web and the CLI)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from ecomon.web.auth import audit
from ecomon.web.auth.credentials import digest, hash_password, new_token, verify_password
from ecomon.web.auth.principal import ROLES, Principal

SESSION_LIFETIME = timedelta(hours=8)
TOKEN_MAX_LIFETIME = timedelta(days=366)
# Lock-out: this many failed logins for one username within the window lock it for the rest of the window.
LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = timedelta(minutes=15)
# Rate limit: attempts from one address within one minute, whatever the username.
IP_ATTEMPTS_PER_MINUTE = 30


class AccountError(ValueError):
    """A request about accounts that cannot be honoured; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class NewUser:
    username: str
    role: str
    region_code: str | None = None
    enterprise_id: int | None = None
    display_name: str | None = None


async def create_user(conn: AsyncConnection, user: NewUser, password: str, by: str, ip: str | None = None) -> int:
    if user.role not in ROLES:
        raise AccountError("unknown_role", f"role {user.role!r} is not one of {', '.join(ROLES)}")
    if (user.role == "enterprise") != (user.enterprise_id is not None):
        raise AccountError("invalid_enterprise", "an enterprise user needs --enterprise, and only they may have one")
    if user.region_code is not None and not await _exists(conn, "SELECT 1 FROM region WHERE code = %s",
                                                          user.region_code):
        raise AccountError("unknown_region", f"region {user.region_code!r} is not in the GB/T 2260 catalogue")
    if user.enterprise_id is not None and not await _exists(conn, "SELECT 1 FROM enterprise WHERE id = %s",
                                                            user.enterprise_id):
        raise AccountError("unknown_enterprise", f"enterprise {user.enterprise_id} does not exist")
    if await _exists(conn, "SELECT 1 FROM app_user WHERE username = %s", user.username):
        raise AccountError("username_taken", f"username {user.username!r} is already taken")
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise AccountError("weak_password", str(exc)) from exc
    row = await (await conn.execute(
        """INSERT INTO app_user (username, display_name, password_hash, role, region_code, enterprise_id, created_by)
           VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (user.username, user.display_name, hashed, user.role, user.region_code, user.enterprise_id, by))).fetchone()
    await audit.record(conn, by, "user.create", user.username,
                       {"role": user.role, "region_code": user.region_code, "enterprise_id": user.enterprise_id}, ip)
    return row[0]


async def set_password(conn: AsyncConnection, username: str, password: str, by: str, ip: str | None = None) -> None:
    """Replace a user's password and end all their sessions (a reset must lock out whoever knew the old one)."""
    try:
        hashed = hash_password(password)
    except ValueError as exc:
        raise AccountError("weak_password", str(exc)) from exc
    row = await (await conn.execute("UPDATE app_user SET password_hash = %s WHERE username = %s RETURNING id",
                                    (hashed, username))).fetchone()
    if row is None:
        raise AccountError("unknown_user", f"user {username!r} does not exist")
    await conn.execute("UPDATE user_session SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (row[0],))
    await audit.record(conn, by, "user.password_reset", username, ip=ip)


async def has_admin(conn: AsyncConnection) -> bool:
    """Whether an active administrator exists (set-up creates the first one only once)."""
    return await (await conn.execute("SELECT 1 FROM app_user WHERE role = 'admin' AND active LIMIT 1")).fetchone() \
        is not None


async def _exists(conn: AsyncConnection, sql: str, arg: object) -> bool:
    return await (await conn.execute(sql, (arg,))).fetchone() is not None


async def login(conn: AsyncConnection, username: str, password: str, ip: str | None) -> tuple[str, str]:
    """Check the password under rate limit and lock-out; returns (session token, CSRF token)."""
    recent_ip = await (await conn.execute(
        "SELECT count(*) FROM login_attempt WHERE ip = %s AND at > now() - interval '1 minute'", (ip,))).fetchone()
    if recent_ip[0] >= IP_ATTEMPTS_PER_MINUTE:
        await audit.record(conn, username, "login.rate_limited", username, ip=ip)
        raise AccountError("rate_limited", "too many login attempts from this address; wait a minute")
    failures = await (await conn.execute(
        """SELECT count(*) FROM login_attempt WHERE username = %s AND NOT ok AND at > now() - %s
             AND at > coalesce((SELECT max(at) FROM login_attempt WHERE username = %s AND ok), '-infinity')""",
        (username, LOCKOUT_WINDOW, username))).fetchone()
    if failures[0] >= LOCKOUT_FAILURES:
        await conn.execute("INSERT INTO login_attempt (username, ip, ok) VALUES (%s, %s, false)", (username, ip))
        await audit.record(conn, username, "login.locked", username, ip=ip)
        raise AccountError("account_locked", "too many failed logins; the account is locked for 15 minutes")
    user = await (await conn.execute(
        "SELECT id, password_hash FROM app_user WHERE username = %s AND active", (username,))).fetchone()
    ok = verify_password(user[1] if user else None, password)
    await conn.execute("INSERT INTO login_attempt (username, ip, ok) VALUES (%s, %s, %s)", (username, ip, ok))
    await audit.record(conn, username, "login.ok" if ok else "login.failed", username, ip=ip)
    if not ok or user is None:
        raise AccountError("invalid_credentials", "wrong username or password")
    token, csrf = new_token("ses"), secrets.token_urlsafe(24)
    await conn.execute(
        "INSERT INTO user_session (token_hash, user_id, csrf_token, expires_at) VALUES (%s, %s, %s, now() + %s)",
        (digest(token), user[0], csrf, SESSION_LIFETIME))
    return token, csrf


async def logout(conn: AsyncConnection, principal: Principal, ip: str | None) -> None:
    await conn.execute("UPDATE user_session SET revoked_at = now() WHERE token_hash = %s AND revoked_at IS NULL",
                       (principal.session_hash,))
    await audit.record(conn, principal.username, "logout", principal.username, ip=ip)


_PRINCIPAL_COLUMNS = "u.id, u.username, u.role, u.region_code, u.enterprise_id"


async def session_principal(conn: AsyncConnection, token: str) -> Principal | None:
    row = await (await conn.execute(
        f"""SELECT {_PRINCIPAL_COLUMNS}, s.csrf_token FROM user_session s JOIN app_user u ON u.id = s.user_id
            WHERE s.token_hash = %s AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active""",
        (digest(token),))).fetchone()
    if row is None:
        return None
    return Principal(*row[:5], via="session", scopes=frozenset({"read", "write"}), session_hash=digest(token),
                     csrf_token=row[5])


async def token_principal(conn: AsyncConnection, token: str) -> Principal | None:
    row = await (await conn.execute(
        f"""UPDATE api_token t SET last_used_at = now() FROM app_user u
            WHERE u.id = t.user_id AND t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > now()
              AND u.active
            RETURNING {_PRINCIPAL_COLUMNS}, t.scopes""", (digest(token),))).fetchone()
    await conn.commit()
    if row is None:
        return None
    return Principal(*row[:5], via="token", scopes=frozenset(row[5]))


async def create_token(conn: AsyncConnection, principal: Principal, name: str, scopes: list[str],
                       lifetime: timedelta, ip: str | None) -> tuple[int, str]:
    """A new API token for the principal's own account; the plain token is returned once and never stored."""
    if lifetime <= timedelta(0) or lifetime > TOKEN_MAX_LIFETIME:
        raise AccountError("invalid_lifetime", f"token lifetime must be between 1 day and {TOKEN_MAX_LIFETIME.days} days")
    token = new_token("eco")
    row = await (await conn.execute(
        """INSERT INTO api_token (user_id, name, token_hash, scopes, expires_at)
           VALUES (%s, %s, %s, %s, now() + %s) RETURNING id""",
        (principal.user_id, name, digest(token), sorted(set(scopes)), lifetime))).fetchone()
    await audit.record(conn, principal.username, "token.create", f"token:{row[0]}",
                       {"name": name, "scopes": sorted(set(scopes)), "days": lifetime.days}, ip)
    return row[0], token


async def list_tokens(conn: AsyncConnection, principal: Principal) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(
        """SELECT id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_token
           WHERE user_id = %s ORDER BY id""", (principal.user_id,))
    return await cur.fetchall()


async def revoke_token(conn: AsyncConnection, principal: Principal, token_id: int, ip: str | None) -> bool:
    """Revoke one of the principal's own tokens (admins: any token)."""
    row = await (await conn.execute(
        """UPDATE api_token SET revoked_at = now()
           WHERE id = %s AND revoked_at IS NULL AND (user_id = %s OR %s) RETURNING id""",
        (token_id, principal.user_id, principal.role == "admin"))).fetchone()
    if row is not None:
        await audit.record(conn, principal.username, "token.revoke", f"token:{token_id}", ip=ip)
    return row is not None


async def revoke_token_value(conn: AsyncConnection, token: str, ip: str | None) -> int | None:
    """Revoke the token whose holder presents it (proof of possession); its id, or None if not active."""
    row = await (await conn.execute(
        """UPDATE api_token t SET revoked_at = now() FROM app_user u
           WHERE u.id = t.user_id AND t.token_hash = %s AND t.revoked_at IS NULL RETURNING t.id, u.username""",
        (digest(token),))).fetchone()
    if row is not None:
        await audit.record(conn, row[1], "token.revoke", f"token:{row[0]}", ip=ip)
    return row[0] if row else None
