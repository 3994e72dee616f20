"""The direct write paths of merge(): a new month is built and attached, an existing one appended to, and both
still leave the per-batch audit record (migration 0005) and the QC queue entries of a write through the parent."""

from __future__ import annotations

from tests.foundation.helpers import beijing_lines, ensure_registry, run_import


def moved(text: str, year: int, station: str | None = None) -> str:
    lines = text.splitlines(keepends=True)
    body = [line.replace("2013,3,", f"{year},3,", 1) for line in lines[1:]]
    if station:
        body = [line.rsplit(",", 1)[0] + f",{station}\n" for line in body]
    return lines[0] + "".join(body)


def audited_rows(db, ingest_id: int) -> int:
    raw_id = db.execute("SELECT raw_input_id FROM ingest_log WHERE id = %s", (ingest_id,)).fetchone()[0]
    return db.execute("""SELECT coalesce(sum((detail->>'rows')::integer), 0) FROM audit_event
                         WHERE action = 'observation.ingest.insert' AND detail->'sources' ? %s""",
                      (f"file:{raw_id}",)).fetchone()[0]


def test_new_month_is_built_attached_and_audited(db, tmp_path):
    ensure_registry(db)
    assert db.execute("SELECT to_regclass('observation_201903')").fetchone()[0] is None
    summary = run_import(db, moved("".join(beijing_lines(24)), 2019), tmp_path, "new-month.csv")
    assert summary.status == "done" and summary.values_accepted > 200
    partition = db.execute("""SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                              WHERE i.inhparent = 'observation'::regclass AND c.relname = 'observation_201903'""")
    assert partition.fetchone() == ("observation_201903",)
    assert db.execute("""SELECT count(*) FROM pg_index WHERE indrelid = 'observation_201903'::regclass
                         AND indisprimary""").fetchone()[0] == 1
    # Nothing of the load is left behind: no bounds constraint, no load trigger.
    assert db.execute("""SELECT count(*) FROM pg_constraint WHERE conrelid = 'observation_201903'::regclass
                         AND conname = 'load_bounds'""").fetchone()[0] == 0
    assert db.execute("""SELECT count(*) FROM pg_trigger WHERE tgrelid = 'observation_201903'::regclass
                         AND tgname = 'load_audit'""").fetchone()[0] == 0
    assert audited_rows(db, summary.ingest_id) == summary.values_accepted
    assert db.execute("""SELECT count(*) FROM qc_pending WHERE day = '2019-03-01'""").fetchone()[0] > 0
    latest = db.execute("""SELECT max(l.t) FROM latest_value l JOIN series s ON s.id = l.series_id
                           JOIN site ON site.id = s.site_id WHERE site.code = 'Aotizhongxin'""").fetchone()[0]
    assert latest.isoformat() == "2019-03-01T15:00:00+00:00"   # 23:00 local on the 1st


def test_other_series_in_an_existing_month_are_appended_and_audited(db, tmp_path):
    ensure_registry(db)
    run_import(db, moved("".join(beijing_lines(24)), 2018), tmp_path, "first.csv")
    window = "SELECT count(*) FROM observation WHERE t >= '2018-02-28' AND t < '2018-03-03'"
    before = db.execute(window).fetchone()[0]
    summary = run_import(db, moved("".join(beijing_lines(24)), 2018, station="Dongsi"), tmp_path, "second.csv")
    assert summary.values_changed == 0
    assert db.execute(window).fetchone()[0] == before + summary.values_accepted
    assert audited_rows(db, summary.ingest_id) == summary.values_accepted
    history = db.execute("SELECT count(*) FROM observation_history WHERE t >= '2018-02-28' AND t < '2018-03-03'")
    assert history.fetchone()[0] == 0
