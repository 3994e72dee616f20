"""GET /api/v1/registry/coverage: the Qingyuan plan's targets vs registered sites, rule violations, region scope."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.foundation.helpers import ensure_registry

QINGCHENG, QINGXIN = "441802", "441803"
SITES = [  # code, element, site type, control level, region, state
    ("QY-A1", "air", "urban", "national", QINGCHENG, "active"),
    ("QY-A2", "air", "urban", "provincial", QINGCHENG, "active"),
    ("QY-A3", "air", "urban", "provincial", QINGXIN, "active"),
    ("QY-A4", "air", "urban", "provincial", QINGXIN, "planned"),   # not counted: plan counts active sites
    ("QY-N1", "noise", "functional_zone", "city", QINGXIN, "active"),
    ("QY-N2", "noise", "functional_zone", "city", QINGXIN, "active"),
]
USERS = {"admin": ("admin", None), "qingxin": ("department", QINGXIN), "qingcheng": ("department", QINGCHENG),
         "public": ("public", None)}


@pytest.fixture(scope="module")
def api(foundation_url):
    from ecomon.registry import store
    from ecomon.store.db import connect
    from ecomon.web.app import create_app

    with connect(foundation_url) as conn:
        ensure_registry(conn)
        store.upsert_sites(conn, [dict(zip(("code", "element", "site_type", "control_level", "region_code", "state"),
                                           row, strict=True)) | {"name_zh": f"清远测试{row[0]}"} for row in SITES],
                           "test")
        conn.commit()
    tokens = asyncio.run(_tokens(foundation_url))
    with TestClient(create_app(foundation_url)) as client:
        yield client, tokens


async def _tokens(url: str) -> dict[str, str]:
    from psycopg import AsyncConnection

    from ecomon.web.auth import accounts
    from ecomon.web.auth.credentials import random_password
    from ecomon.web.auth.principal import Principal

    tokens = {}
    async with await AsyncConnection.connect(url) as conn:
        for label, (role, region) in USERS.items():
            name = f"coverage_{label}"
            user_id = await accounts.create_user(conn, accounts.NewUser(name, role, region), random_password(), "test")
            principal = Principal(user_id, name, role, region, via="token", scopes=frozenset({"read"}))
            _, tokens[label] = await accounts.create_token(conn, principal, "tests", ["read"], timedelta(days=1), None)
        await conn.commit()
    return tokens


def get(api, who: str | None, **params):
    client, tokens = api
    headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
    return client.get("/api/v1/registry/coverage", params=params, headers=headers)


def test_targets_count_active_sites_of_the_listed_types_and_levels(api):
    body = get(api, "admin", plan="qingyuan").json()
    assert body["plan"] == "qingyuan-2018" and body["scope_region"] is None
    targets = {t["id"]: t for t in body["targets"]}
    # air-urban: national/provincial urban stations in Qingyuan; the planned QY-A4 does not count.
    assert (targets["air-urban"]["current"], targets["air-urban"]["target"], targets["air-urban"]["gap"]) == (3, 5, 2)
    assert targets["noise-functional-qingxin"]["current"] == 2
    assert not body["all_met"]


def test_every_county_below_two_air_stations_is_a_violation(api):
    violations = {v["region"]: v for v in get(api, "admin", plan="qingyuan").json()["violations"]}
    assert QINGCHENG not in violations                       # two active stations
    assert violations[QINGXIN]["found"] == 1 and violations[QINGXIN]["required"] == 2
    assert len(violations) == 7                              # Qingyuan has 8 counties


def test_a_regional_user_sees_only_targets_and_divisions_in_their_region(api):
    qingxin = get(api, "qingxin", plan="qingyuan").json()
    assert qingxin["scope_region"] == QINGXIN
    assert [t["id"] for t in qingxin["targets"]] == ["noise-functional-qingxin"]
    assert qingxin["targets"][0]["current"] == 2
    assert [v["region"] for v in qingxin["violations"]] == [QINGXIN]
    qingcheng = get(api, "qingcheng", plan="qingyuan").json()
    assert qingcheng["violations"] == [] and all(t["region"] == QINGCHENG for t in qingcheng["targets"])


def test_refusals_have_machine_readable_codes(api):
    assert get(api, None).status_code == 401
    assert get(api, "public").status_code == 403
    r = get(api, "admin", plan="atlantis")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_plan"
    assert get(api, "admin", plan="../etc").status_code == 422
