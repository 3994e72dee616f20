"""The supervisor restarts a crashed service with back-off and gives up on one that keeps crashing."""

from __future__ import annotations

import subprocess
import sys
import time

from ecomon.config import Settings
from ecomon.runtime import supervisor
from ecomon.runtime.supervisor import Service, Supervisor


def _wait_exit(svc: Service) -> None:
    assert svc.process is not None
    svc.process.wait(10)


def test_crashed_service_is_restarted_then_given_up(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(supervisor, "RESTART_LIMIT", 3)
    crash = Service("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
    sup = Supervisor(Settings(home=str(tmp_path)), [crash])
    env: dict[str, str] = {}
    crash.process = subprocess.Popen(crash.argv)
    _wait_exit(crash)
    assert sup._watch(crash, env)             # first crash: restart scheduled, not yet done
    assert crash.restart_at is not None
    first = crash.process
    crash.restart_at = time.monotonic()       # skip the back-off pause
    assert sup._watch(crash, env)
    assert crash.process is not first and crash.restart_at is None
    _wait_exit(crash)
    assert sup._watch(crash, env)             # second crash: restart again
    crash.restart_at = time.monotonic()
    assert sup._watch(crash, env)
    _wait_exit(crash)
    assert not sup._watch(crash, env)         # third crash within the window: give up


def test_running_service_is_left_alone(tmp_path) -> None:
    sleeper = Service("sleeper", [sys.executable, "-c", "import time; time.sleep(30)"])
    sup = Supervisor(Settings(home=str(tmp_path)), [sleeper])
    sleeper.process = subprocess.Popen(sleeper.argv)
    try:
        assert sup._watch(sleeper, {})
        assert sleeper.crashes == [] and sleeper.restart_at is None
    finally:
        sleeper.process.kill()
        sleeper.process.wait()
