"""`ecomon evaluate watch`, the service the supervisor runs: dirty aggregates → rebuilt → re-evaluated; stops on
SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time


def test_watch_rebuilds_and_reevaluates_then_stops_on_sigterm(db, evaluated, platform_env):
    marker = db.execute("SELECT now()").fetchone()[0]
    db.commit()
    db.execute(
        """INSERT INTO aggregate_dirty (series_id, day)
           SELECT se.id, '2014-03-22' FROM series se JOIN site s ON s.id = se.site_id
           WHERE s.code = 'Huairou' AND se.parameter_code = 'a34004' AND se.interval_kind = 'hour'""")
    db.commit()
    env = {**os.environ, "ECOMON_DATABASE_URL": evaluated, "ECOMON_HOME": platform_env["home"]}
    service = subprocess.Popen([sys.executable, "-m", "ecomon.cli", "evaluate", "watch", "--interval", "1"],
                               env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        fresh = 0
        while time.monotonic() < deadline and not fresh:
            time.sleep(1)
            fresh = db.execute(
                """SELECT count(*) FROM aqi_result r JOIN site s ON s.id = r.site_id
                   WHERE s.code = 'Huairou' AND r.period = 'day' AND r.t = '2014-03-22T00:00:00+08:00'
                     AND r.computed_at > %s""", (marker,)).fetchone()[0]
            db.rollback()
        assert fresh == 1
        assert db.execute("SELECT count(*) FROM aggregate_dirty").fetchone()[0] == 0
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err
    assert re.search(r"evaluated \d+ days", err), err
