"""Device credentials changed in step with the device, end to end (field unit → real gateway → PostgreSQL):
the access password by 1072 (HJ 212-2017 Table 9 `NewPW`, §6.5.2 request flow) with the new password pending,
the old one kept for a grace period after success, a lost reply that must not lock the device out, a failure and a
silent device that keep the old one; and the SM4 key rotation the gateway starts by itself once a key is older than
the configured age (HJ 212-2025 §6.4.3), once, only for connected devices whose key is due."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from field_unit import FieldUnit
from gateway_support import PASSWORD, Services, free_port, register_stations
from psycopg.rows import dict_row

from ecomon.ingest.hj212.codec import Packet, Version
from ecomon.ingest.hj212.simulator import device_mn

AIR = {"a34004": 35.0, "a34002": 60.0, "a21026": 7.0}
GRACE_S = 8.0
FIRST_KEY = "K3y9Qw7ZtP2mX8vL"


class CredentialServices(Services):
    """Gateway and CLI with a short password grace period and a key check every second."""

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, "ECOMON_HJ212_PASSWORD_GRACE_S": str(GRACE_S), "ECOMON_HJ212_KEY_CHECK_S": "1"}


@pytest.fixture(scope="module")
def services(gateway_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = CredentialServices(f"T{uuid.uuid4().hex[:12].upper()}", free_port(), tmp_path_factory.mktemp("gateway"),
                             gateway_env["database_url"], ("--gap-scan", "100000"))
    svc.start_gateway()
    svc.start_writer()
    try:
        yield svc
    finally:
        svc.stop()


@dataclass
class Unit(FieldUnit):
    """A field unit whose answer to 1072 and 1014 is chosen: `apply` (9011, 9012 ExeRtn=1, then it uses the new
    password), `lost` (9011, switches, its 9012 never arrives), `fail` (9011, 9012 ExeRtn=2, keeps the old one),
    `silent` (no answer at all)."""

    on_1072: str = "apply"
    on_1014: str = "apply"

    async def _execute(self, request: Packet) -> None:
        if request.cn == "1014" and self.on_1014 == "silent":
            return
        if request.cn != "1072":
            await super()._execute(request)
            return
        if self.on_1072 == "silent":
            return
        await self.send(self._reply(request, "9011", {"QnRtn": "1"}))
        if self.on_1072 in ("apply", "fail"):
            await self.send(self._reply(request, "9012", {"ExeRtn": "1" if self.on_1072 == "apply" else "2"}))
        if self.on_1072 in ("apply", "lost"):
            self.pw = request.cp["NewPW"]


def query(url: str, sql: str, *args: object) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()


def changes_of(url: str, mn: str) -> list[dict]:
    return query(url, "SELECT p.* FROM device_password_change p JOIN device d ON d.id = p.device_id "
                      "WHERE d.mn = %s ORDER BY p.id", mn)


def commands_of(url: str, mn: str) -> list[dict]:
    return query(url, "SELECT c.* FROM device_command c JOIN device d ON d.id = c.device_id WHERE d.mn = %s "
                      "ORDER BY c.id", mn)


async def answer_to(services: Services, mn: str, pw: str, minute: int, **options: object) -> str:
    """Log in with `pw` on a connection of its own and send one minute of data: "9014" (accepted) or
    "9011 QnRtn=3" (password refused)."""
    fu = Unit(mn, pw, "127.0.0.1", services.port, **options)  # type: ignore[arg-type]
    await fu.connect()
    try:
        answer = await fu.upload(fu.data("2051", datetime(2026, 4, 1, 8, 0) + timedelta(minutes=minute), AIR))
    finally:
        await fu.close()
    assert answer is not None
    return answer.cn if answer.cn == "9014" else f"{answer.cn} QnRtn={answer.cp.get('QnRtn')}"


async def until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


def sleep_past(url: str, mn: str) -> None:
    """Wait until the grace period of the device's latest password change is over."""
    grace_until = changes_of(url, mn)[-1]["grace_until"]
    time.sleep(max(0.0, (grace_until - datetime.now(UTC)).total_seconds()) + 0.5)


def test_password_change_succeeds_and_the_old_password_ends_with_the_grace_period(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "E1", 1)
    mn = device_mn("E1", 1)

    async def scenario() -> tuple[Unit, object, list[str]]:
        fu = Unit(mn, PASSWORD, "127.0.0.1", services.port)
        await fu.connect()
        assert (await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 0), AIR))).cn == "9014"
        changed = await asyncio.to_thread(services.cli, "device", "set-password", "--mn", mn, "--wait", "30")
        new_pw = json.loads(changed.stdout)["password"] if changed.returncode == 0 else ""
        answers = [(await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 1), AIR))).cn,
                   await answer_to(services, mn, PASSWORD, 2)]  # the old one, within the grace period
        await asyncio.to_thread(sleep_past, url, mn)
        answers += [await answer_to(services, mn, PASSWORD, 3), await answer_to(services, mn, new_pw, 4)]
        await fu.close()
        return fu, changed, answers

    fu, changed, answers = asyncio.run(scenario())
    assert changed.returncode == 0, changed.stderr + changed.stdout
    out = json.loads(changed.stdout)
    new_pw = out["password"]
    assert len(new_pw) == 6 and new_pw.isalnum() and new_pw != PASSWORD
    assert (out["state"], out["command_state"], out["qn_rtn"], out["exe_rtn"]) == ("applied", "done", "1", "1")
    assert [(p.cn, dict(p.cp)) for p in fu.requests] == [("1072", {"NewPW": new_pw})]
    assert fu.requests[0].pw == PASSWORD  # the request itself goes with the password the device still has
    assert fu.pw == new_pw
    assert answers == ["9014", "9014", "9011 QnRtn=3", "9014"]
    (change,) = changes_of(url, mn)
    assert (change["state"], change["note"], change["sealed_password"]) == ("applied", "1072 done", None)
    (command,) = commands_of(url, mn)
    assert (command["cn"], command["origin"], command["state"], command["cp"]) == ("1072", "password_change",
                                                                                   "done", {})
    actions = query(url, "SELECT actor, action, detail FROM audit_event WHERE target = %s AND action LIKE "
                         "'hj212.device.password.%%' ORDER BY id", mn)
    assert [(a["actor"].split(":")[0], a["action"]) for a in actions] == [
        ("cli", "hj212.device.password.requested"), ("hj212-gateway", "hj212.device.password.sent"),
        ("hj212-gateway", "hj212.device.password.applied")]
    registry = query(url, "SELECT e.detail FROM audit_event e JOIN device d ON e.target = 'device:' || d.id "
                          "WHERE d.mn = %s AND e.action = 'device.update' ORDER BY e.id DESC LIMIT 1", mn)
    assert registry and "password_hash" not in json.dumps(registry[0]["detail"])
    events = query(url, "SELECT e.detail->>'step' AS step FROM device_event e JOIN device d ON d.id = e.device_id "
                        "WHERE d.mn = %s AND e.kind = 'password_change' ORDER BY e.id", mn)
    assert [e["step"] for e in events] == ["requested", "sent", "applied"]
    secrets_seen = [new_pw in json.dumps(row, default=str) for row in
                    query(url, "SELECT * FROM audit_event WHERE target = %s", mn) + commands_of(url, mn)]
    assert not any(secrets_seen)
    logs = "".join(p.read_text(errors="replace") for p in services.log_dir.glob("*.log"))
    assert "1072" in logs and new_pw not in logs
    detail = json.loads(services.cli("devices", "--mn", mn).stdout)
    assert [c["state"] for c in detail["password_changes"]] == ["applied"]


def test_lost_reply_both_passwords_work_until_the_new_one_is_used_then_only_the_new(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "E2", 1)
    mn = device_mn("E2", 1)
    new_pw = "Nw4pQ7"

    async def scenario() -> tuple[Unit, list, list[str]]:
        fu = Unit(mn, PASSWORD, "127.0.0.1", services.port, on_1072="lost")
        await fu.connect()
        assert (await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 0), AIR))).cn == "9014"
        changed = await asyncio.to_thread(services.cli, "device", "set-password", "--mn", mn, "--password", "-",
                                          stdin=f"{new_pw}\n")
        await until(lambda: fu.pw == new_pw, 20, "the device to switch")
        await until(lambda: commands_of(url, mn)[-1]["state"] == "accepted", 10, "the 9011")
        busy = await asyncio.to_thread(services.cli, "device", "set-password", "--mn", mn)
        answers = [await answer_to(services, mn, PASSWORD, 1)]  # pending: the old one still works
        states = [changes_of(url, mn)[-1]["state"]]
        answers.append((await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 2), AIR))).cn)  # the new one
        states.append(changes_of(url, mn)[-1]["state"])
        answers.append(await answer_to(services, mn, PASSWORD, 3))  # the old one, within the grace period
        await asyncio.to_thread(sleep_past, url, mn)
        answers += [await answer_to(services, mn, PASSWORD, 4), await answer_to(services, mn, new_pw, 5)]
        await fu.close()
        return fu, [changed, busy, states], answers

    fu, (changed, busy, states), answers = asyncio.run(scenario())
    assert changed.returncode == 0, changed.stderr
    assert "password" not in json.loads(changed.stdout) and new_pw not in changed.stdout
    assert busy.returncode == 2 and "wait for its result" in busy.stderr
    assert states == ["pending", "applied"]
    assert [(p.cn, dict(p.cp)) for p in fu.requests] == [("1072", {"NewPW": new_pw})]
    assert answers == ["9014", "9014", "9014", "9011 QnRtn=3", "9014"]
    (change,) = changes_of(url, mn)
    assert (change["state"], change["note"]) == ("applied", "the device logged in with the new password")
    assert query(url, "SELECT count(*) AS n FROM audit_event WHERE target = %s "
                      "AND action = 'hj212.device.password.applied'", mn) == [{"n": 1}]


def test_failed_change_keeps_the_old_password_only(services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "E3", 1)
    mn = device_mn("E3", 1)

    async def scenario() -> tuple[object, list[str]]:
        fu = Unit(mn, PASSWORD, "127.0.0.1", services.port, on_1072="fail")
        await fu.connect()
        assert (await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 0), AIR))).cn == "9014"
        changed = await asyncio.to_thread(services.cli, "device", "set-password", "--mn", mn, "--wait", "30")
        new_pw = json.loads(changed.stdout)["password"]
        answers = [await answer_to(services, mn, new_pw, 1), await answer_to(services, mn, PASSWORD, 2),
                   (await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 3), AIR))).cn]
        await fu.close()
        return changed, answers

    changed, answers = asyncio.run(scenario())
    assert changed.returncode == 1  # waited, and the change did not apply
    out = json.loads(changed.stdout)
    assert (out["state"], out["command_state"], out["exe_rtn"]) == ("failed", "failed", "2")
    assert answers == ["9011 QnRtn=3", "9014", "9014"]
    (change,) = changes_of(url, mn)
    assert (change["state"], change["grace_until"], change["sealed_password"]) == ("failed", None, None)


def test_silent_device_keeps_the_old_password_and_the_new_one_lapses_after_the_grace_period(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "E4", 1)
    mn = device_mn("E4", 1)
    new_pw = "Sl3nT9"

    async def scenario() -> tuple[Unit, list[str], list[dict]]:
        fu = Unit(mn, PASSWORD, "127.0.0.1", services.port, on_1072="silent")
        await fu.connect()
        assert (await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 0), AIR))).cn == "9014"
        await asyncio.to_thread(services.cli, "device", "set-password", "--mn", mn, "--password", "-",
                                stdin=f"{new_pw}\n")
        # HJ 212-2017 §6.2 Table 1: 3 attempts 10 s apart, then timeout
        await until(lambda: changes_of(url, mn)[-1]["state"] != "pending", 60, "the 1072 to time out")
        states = changes_of(url, mn)
        answers = [(await fu.upload(fu.data("2051", datetime(2026, 4, 1, 7, 1), AIR))).cn]
        await asyncio.to_thread(sleep_past, url, mn)
        answers += [await answer_to(services, mn, new_pw, 2), await answer_to(services, mn, PASSWORD, 3)]
        await fu.close()
        return fu, answers, states

    fu, answers, states = asyncio.run(scenario())
    assert [p.cn for p in fu.requests] == ["1072"] * 3 and len({p.qn for p in fu.requests}) == 1
    assert [s["state"] for s in states] == ["unconfirmed"]
    assert answers == ["9014", "9011 QnRtn=3", "9014"]
    (command,) = commands_of(url, mn)
    assert (command["state"], command["attempts"]) == ("timeout", 3)
    detail = json.loads(services.cli("devices", "--mn", mn).stdout)
    assert [c["state"] for c in detail["password_changes"]] == ["expired"]
    steps = [e["detail"]["step"] for e in reversed(detail["events"]) if e["kind"] == "password_change"]
    assert steps == ["requested", "sent", "unconfirmed"]


def test_change_for_an_offline_device_waits_queued_and_a_newer_one_supersedes_it(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    register_stations(url, "E5", 1)
    mn = device_mn("E5", 1)
    first = services.cli("device", "set-password", "--mn", mn)
    second = services.cli("device", "set-password", "--mn", mn)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert json.loads(second.stdout)["superseded"] == json.loads(first.stdout)["change"]
    assert [(c["state"], c["sealed_password"] is None) for c in changes_of(url, mn)] == [("superseded", True),
                                                                                       ("pending", False)]
    assert [(c["state"], c["note"]) for c in commands_of(url, mn)] == [("cancelled", "superseded"), ("queued", None)]
    first_pw, second_pw = json.loads(first.stdout)["password"], json.loads(second.stdout)["password"]

    async def scenario() -> list[str]:  # pending: the registered and the pending password work, not the superseded
        return [await answer_to(services, mn, first_pw, 1, on_1072="silent"),
                await answer_to(services, mn, PASSWORD, 2, on_1072="silent")]

    assert asyncio.run(scenario()) == ["9011 QnRtn=3", "9014"]
    readded = services.cli("device", "add", "--mn", mn, "--password", "-", "--site", f"GW-{mn}",
                           stdin=f"{PASSWORD}\n")
    assert readded.returncode == 0, readded.stderr
    assert [c["state"] for c in changes_of(url, mn)] == ["superseded", "superseded"]
    assert second_pw not in readded.stdout
    refused = services.cli("device", "set-password", "--mn", mn, "--password", "abcdef")
    assert refused.returncode == 2 and "visible" in refused.stderr


def _add_sm4_device(services: Services, url: str, prefix: str, age_days: float) -> str:
    register_stations(url, prefix, 1)
    mn = device_mn(prefix, 1)
    added = services.cli("device", "add", "--mn", mn, "--password", "-", "--site", f"GW-{mn}", "--version", "2025",
                         "--sm4-key", "-", stdin=f"{PASSWORD}\n{FIRST_KEY}\n")
    assert added.returncode == 0, added.stderr
    with psycopg.connect(url) as conn:
        conn.execute("UPDATE device_key k SET activated_at = now() - make_interval(secs => %s), "
                     "created_at = now() - make_interval(secs => %s) FROM device d "
                     "WHERE d.id = k.device_id AND d.mn = %s AND k.state = 'active'",
                     (age_days * 86400, age_days * 86400, mn))
    return mn


def test_due_sm4_key_is_rotated_by_the_gateway_once_and_fresh_or_offline_ones_are_left_alone(
        services: Services, gateway_env: dict[str, str]) -> None:
    url = gateway_env["database_url"]
    due, fresh, silent = (_add_sm4_device(services, url, "F1", 85), _add_sm4_device(services, url, "F2", 10),
                          _add_sm4_device(services, url, "F3", 89))
    offline = _add_sm4_device(services, url, "F4", 88)  # due, but never connected: nothing to send it over
    before = {mn: json.loads(services.cli("device", "keys", "--mn", mn).stdout) for mn in (due, fresh)}

    async def scenario() -> tuple[Unit, Unit, Unit]:
        units = [Unit(mn, PASSWORD, "127.0.0.1", services.port, version=Version.HJ212_2025,
                      key=FIRST_KEY.encode(), on_1014=mode)
                 for mn, mode in ((due, "apply"), (fresh, "apply"), (silent, "silent"))]
        for i, fu in enumerate(units):
            await fu.connect()
            assert (await fu.upload(fu.data("2051", datetime(2026, 4, 2, 8, i), AIR))).cn == "9014"
        await until(lambda: units[0].key != FIRST_KEY.encode(), 30, "the scheduled rotation")
        await asyncio.sleep(4)  # four more checks: nothing starts twice
        assert (await units[0].upload(units[0].data("2051", datetime(2026, 4, 2, 8, 5), AIR))).cn == "9014"
        for fu in units:
            await fu.close()
        return units[0], units[1], units[2]

    rotated, untouched, unanswered = asyncio.run(scenario())
    assert (before[due]["due"], before[fresh]["due"]) == (True, False)
    assert 84.9 < before[due]["age_days"] < 85.1 and before[due]["rotation_age_days"] == 80
    assert [p.cn for p in rotated.requests] == ["1014"] and untouched.requests == []
    (command,) = commands_of(url, due)
    assert (command["origin"], command["state"], command["requested_by"]) == ("key_rotation", "done",
                                                                             "hj212-gateway:schedule")
    assert "NewSK" not in command["cp"]
    assert [k["state"] for k in query(url, "SELECT k.state FROM device_key k JOIN device d ON d.id = k.device_id "
                                           "WHERE d.mn = %s ORDER BY k.id", due)] == ["retired", "active"]
    (started,) = query(url, "SELECT e.detail FROM device_event e JOIN device d ON d.id = e.device_id "
                            "WHERE d.mn = %s AND e.kind = 'key_rotation_started'", due)
    assert 84.9 < started["detail"]["age_days"] < 85.1 and started["detail"]["command"] == command["id"]
    assert query(url, "SELECT actor, detail->>'scheduled' AS scheduled FROM audit_event WHERE target = %s "
                      "AND action = 'hj212.device.key_rotation'", due) == [{"actor": "hj212-gateway:schedule",
                                                                           "scheduled": "true"}]
    after = json.loads(services.cli("device", "keys", "--mn", due).stdout)
    assert after["age_days"] < 0.1 and after["due"] is False and after["last_rotation_state"] == "done"
    assert (datetime.fromisoformat(after["due_at"]) - datetime.now(UTC)).days in (79, 80)
    assert commands_of(url, fresh) == [] and commands_of(url, offline) == []
    assert json.loads(services.cli("device", "keys", "--mn", offline).stdout)["due"] is True
    silent_commands = commands_of(url, silent)
    assert [c["origin"] for c in silent_commands] == ["key_rotation"]  # once, not again while it is open
    assert silent_commands[0]["state"] in ("sent", "timeout")
    assert len(unanswered.requests) >= 1 and {p.cn for p in unanswered.requests} == {"1014"}
