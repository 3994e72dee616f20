"""Auth endpoints: login/logout (cookie session + CSRF), current user, API tokens, user creation (admin)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from psycopg import AsyncConnection
from pydantic import BaseModel, Field

from ecomon.web.auth import accounts
from ecomon.web.auth.deps import CSRF_COOKIE, SESSION_COOKIE, Conn, LoggedIn, require_roles
from ecomon.web.auth.hardening import CleanStr
from ecomon.web.auth.principal import ROLES, Principal
from ecomon.web.errors import ApiError

router = APIRouter(prefix="/auth", tags=["auth"])
Admin = require_roles("admin")

_STATUS = {"rate_limited": 429, "account_locked": 429, "invalid_credentials": 401, "username_taken": 409}


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _refuse(conn: AsyncConnection, exc: accounts.AccountError) -> ApiError:
    """Keep what was recorded (attempts, audit) and turn the refusal into an API error."""
    await conn.commit()
    return ApiError(_STATUS.get(exc.code, 422), exc.code, str(exc))


class LoginBody(BaseModel):
    username: CleanStr = Field(min_length=1, max_length=64)
    password: CleanStr = Field(min_length=1, max_length=256)


class Me(BaseModel):
    username: str
    role: str
    region_code: str | None
    enterprise_id: int | None
    via: str
    csrf_token: str | None = None


def _me(p: Principal, csrf: str | None = None) -> Me:
    return Me(username=p.username, role=p.role, region_code=p.region_code, enterprise_id=p.enterprise_id, via=p.via,
              csrf_token=csrf)


@router.post("/login", summary="登录 / log in (sets an HttpOnly session cookie)", response_model=Me)
async def login(body: LoginBody, request: Request, response: Response,
                conn: Conn) -> Me:
    try:
        token, csrf = await accounts.login(conn, body.username, body.password, _client_ip(request))
    except accounts.AccountError as exc:
        raise await _refuse(conn, exc) from None
    await conn.commit()
    secure = request.url.scheme == "https"
    max_age = int(accounts.SESSION_LIFETIME.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure,
                        path="/")
    # Readable by the page scripts, which echo it in the X-CSRF-Token header on unsafe requests.
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, httponly=False, samesite="strict", secure=secure,
                        path="/")
    principal = await accounts.session_principal(conn, token)
    return _me(principal, csrf)  # type: ignore[arg-type]


@router.post("/logout", summary="退出 / log out (ends the session server-side)", status_code=204)
async def logout(request: Request, principal: LoggedIn,
                 conn: Conn) -> Response:
    if principal.via != "session":
        raise ApiError(400, "not_a_session", "logout ends a cookie session; revoke API tokens instead")
    await accounts.logout(conn, principal, _client_ip(request))
    await conn.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/me", summary="当前用户 / the current user", response_model=Me)
async def me(principal: LoggedIn) -> Me:
    return _me(principal, principal.csrf_token)


class TokenBody(BaseModel):
    name: CleanStr = Field(min_length=1, max_length=100)
    scopes: list[Literal["read", "write"]] = Field(default=["read"], min_length=1)
    days: int = Field(default=90, ge=1, le=accounts.TOKEN_MAX_LIFETIME.days)


class TokenCreated(BaseModel):
    id: int
    token: str = Field(description="shown once; only its SHA-256 digest is stored")
    scopes: list[str]
    days: int


class TokenInfo(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@router.post("/tokens", summary="创建 API 令牌 / create an API token", response_model=TokenCreated, status_code=201)
async def create_token(body: TokenBody, request: Request, principal: LoggedIn,
                       conn: Conn) -> TokenCreated:
    if principal.via == "token" and not set(body.scopes) <= principal.scopes:
        raise ApiError(403, "insufficient_scope", "a token cannot create a token with more scopes than itself")
    token_id, token = await accounts.create_token(conn, principal, body.name, body.scopes,
                                                  timedelta(days=body.days), _client_ip(request))
    await conn.commit()
    return TokenCreated(id=token_id, token=token, scopes=sorted(set(body.scopes)), days=body.days)


@router.get("/tokens", summary="我的 API 令牌 / my API tokens", response_model=list[TokenInfo])
async def list_tokens(principal: LoggedIn,
                      conn: Conn) -> list[TokenInfo]:
    return [TokenInfo(**row) for row in await accounts.list_tokens(conn, principal)]


@router.delete("/tokens/{token_id}", summary="吊销 API 令牌 / revoke an API token", status_code=204)
async def revoke_token(token_id: int, request: Request, principal: LoggedIn,
                       conn: Conn) -> Response:
    if not await accounts.revoke_token(conn, principal, token_id, _client_ip(request)):
        raise ApiError(404, "unknown_token", f"no active token {token_id} of yours")
    await conn.commit()
    return Response(status_code=204)


class UserBody(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{2,64}$")
    password: CleanStr = Field(min_length=12, max_length=256)
    role: Literal[ROLES]  # type: ignore[valid-type]
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}([0-9]{3})?$")
    enterprise_id: int | None = None
    display_name: CleanStr | None = Field(default=None, max_length=100)


class UserCreated(BaseModel):
    id: int
    username: str
    role: str
    region_code: str | None


@router.post("/users", summary="创建用户 / create a user (admin)", response_model=UserCreated, status_code=201)
async def create_user(body: UserBody, request: Request, principal: Admin,
                      conn: Conn) -> UserCreated:
    if principal.region_code is not None and (body.region_code is None or not await _within(
            conn, body.region_code, principal.region_code)):
        raise ApiError(403, "region_out_of_scope", "a regional admin can only create users within their region")
    user = accounts.NewUser(body.username, body.role, body.region_code, body.enterprise_id, body.display_name)
    try:
        user_id = await accounts.create_user(conn, user, body.password, principal.username, _client_ip(request))
    except accounts.AccountError as exc:
        raise ApiError(_STATUS.get(exc.code, 422), exc.code, str(exc)) from None
    await conn.commit()
    return UserCreated(id=user_id, username=body.username, role=body.role, region_code=body.region_code)


async def _within(conn: AsyncConnection, code: str, ancestor: str) -> bool:
    row = await (await conn.execute("SELECT %s IN (SELECT region_descendants(%s))", (code, ancestor))).fetchone()
    return bool(row[0])
