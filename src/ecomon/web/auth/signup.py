"""Open-data API keys: anyone may ask for one with an e-mail address and a purpose.

Each sign-up gets its own account of role `public` (released data of active sites only, like anonymous callers,
but with its own rate-limit counter) and one read-only token that expires. The token is shown once; only its
digest is stored. Sign-ups are limited per address and per e-mail so the form cannot mint keys in bulk.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg import AsyncConnection

from ecomon.web.auth import accounts
from ecomon.web.auth.credentials import random_password
from ecomon.web.auth.principal import Principal

KEY_LIFETIME = timedelta(days=365)
SIGNUPS_PER_ADDRESS_PER_HOUR = 5
SIGNUPS_PER_EMAIL_PER_DAY = 3
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")


@dataclass(frozen=True)
class IssuedKey:
    token_id: int
    token: str
    expires_at: datetime


async def sign_up(conn: AsyncConnection, email: str, purpose: str, ip: str | None) -> IssuedKey:
    """Create the account and its key within the caller's transaction; AccountError when refused."""
    email, purpose = email.strip(), purpose.strip()
    if not EMAIL.match(email):
        raise accounts.AccountError("invalid_email", "a valid e-mail address is needed")
    if len(purpose) < 5:
        raise accounts.AccountError("invalid_purpose", "say in a few words what the data will be used for")
    by_ip, by_email = await (await conn.execute(
        """SELECT count(*) FILTER (WHERE ip IS NOT DISTINCT FROM %s AND created_at > now() - interval '1 hour'),
                  count(*) FILTER (WHERE lower(email) = lower(%s) AND created_at > now() - interval '1 day')
           FROM open_data_signup WHERE created_at > now() - interval '1 day'""", (ip, email))).fetchone()
    if by_ip >= SIGNUPS_PER_ADDRESS_PER_HOUR or by_email >= SIGNUPS_PER_EMAIL_PER_DAY:
        raise accounts.AccountError("rate_limited", "too many key requests from this address or e-mail; "
                                                    "try again later")
    username = f"od-{secrets.token_hex(8)}"
    user_id = await accounts.create_user(conn, accounts.NewUser(username, "public", display_name=email[:100]),
                                         random_password(), "signup", ip)
    principal = Principal(user_id, username, "public", via="token", scopes=frozenset({"read"}))
    token_id, token = await accounts.create_token(conn, principal, f"open data: {purpose[:80]}", ["read"],
                                                  KEY_LIFETIME, ip)
    row = await (await conn.execute(
        """INSERT INTO open_data_signup (email, purpose, user_id, token_id, ip) VALUES (%s, %s, %s, %s, %s)
           RETURNING (SELECT expires_at FROM api_token WHERE id = %s)""",
        (email, purpose, user_id, token_id, ip, token_id))).fetchone()
    return IssuedKey(token_id, token, row[0])
