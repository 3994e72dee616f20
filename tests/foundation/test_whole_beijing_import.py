"""The whole vendored Beijing file imports: 315,648 rows, nothing rejected, odd PM pairs flagged, not dropped.

Runs after the slice tests (file order): it revises their rows in the shared foundation database.
"""

from __future__ import annotations

from ecomon.ingest.files.importer import import_bytes
from ecomon.ingest.files.mapping import load_mapping
from ecomon.store.aggregates import rebuild_dirty
from tests.foundation.helpers import BEIJING, HOURLY, ensure_registry


def test_all_315648_rows_import(db, tmp_path):
    ensure_registry(db)
    summary = import_bytes(db, HOURLY.read_bytes(), HOURLY.name, load_mapping(BEIJING / "mapping.toml"),
                           user="test", archive_root=tmp_path, local_tz="Asia/Shanghai")
    assert summary.rows_total == 315_648
    assert summary.values_rejected == 0
    assert summary.values_flagged > 0  # PM2.5 > PM10 hours, kept and flagged suspect
    sites = db.execute("SELECT count(DISTINCT s.site_id) FROM series s JOIN observation o ON o.series_id = s.id "
                       "WHERE s.parameter_code = 'a34004' AND o.t < '2013-03-02'").fetchone()[0]
    assert sites == 12
    days = rebuild_dirty(db, "Asia/Shanghai")
    db.commit()
    assert days > 150_000
    valid_pm25_days = db.execute(
        """SELECT count(*) FROM aggregate a JOIN series s ON s.id = a.series_id
           WHERE s.parameter_code = 'a34004' AND a.kind = 'day' AND a.valid""").fetchone()[0]
    assert 12_000 < valid_pm25_days <= 12 * 1096
