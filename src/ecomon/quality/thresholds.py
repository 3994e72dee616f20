"""QC thresholds as versioned data in the database (qc_config + qc_threshold rows, migration 0005).

A version is immutable; changing a threshold means saving a new version, and every qc_result names the version
that produced it. The code's rule sets (quality/rules/config.py) are the first version of each.
"""

from __future__ import annotations

import json

import psycopg

from ecomon.quality.rules.config import RuleSet, TestParams


def _rows(rules: RuleSet) -> list[tuple[str, str | None, str | None, str, dict]]:
    out = [(p, None, None, test, kw) for p, tests in rules.parameters.items() for test, kw in tests.items()]
    for site_type, layer in rules.site_types.items():
        out += [(p, site_type, None, test, kw) for p, tests in layer.items() for test, kw in tests.items()]
    for site, layer in rules.sites.items():
        out += [(p, None, site, test, kw) for p, tests in layer.items() for test, kw in tests.items()]
    return out


def save_rule_set(conn: psycopg.Connection, rules: RuleSet, by: str, note: str | None = None) -> int:
    """Store `rules` as a new version; returns the version number."""
    version = conn.execute(
        """INSERT INTO qc_config (rule_set, label, interval_s, pairs, note, created_by)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING version""",
        (rules.id, rules.version, rules.interval, json.dumps(list(rules.pairs)), note, by)).fetchone()[0]  # type: ignore[index]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO qc_threshold (version, parameter, site_type, site_code, test, params) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(version, p, st, site, test, json.dumps(kw)) for p, st, site, test, kw in _rows(rules)])
    return version


def load_rule_set(conn: psycopg.Connection, version: int) -> RuleSet:
    head = conn.execute("SELECT rule_set, label, interval_s, pairs FROM qc_config WHERE version = %s",
                        (version,)).fetchone()
    if head is None:
        raise ValueError(f"no QC configuration version {version}")
    parameters: dict[str, TestParams] = {}
    site_types: dict[str, dict[str, TestParams]] = {}
    sites: dict[str, dict[str, TestParams]] = {}
    for p, site_type, site, test, params in conn.execute(
            "SELECT parameter, site_type, site_code, test, params FROM qc_threshold WHERE version = %s",
            (version,)).fetchall():
        layer = (parameters if site_type is None and site is None
                 else site_types.setdefault(site_type, {}) if site_type is not None else sites.setdefault(site, {}))
        layer.setdefault(p, {})[test] = params
    return RuleSet(head[0], head[1], head[2], parameters, site_types, sites, tuple(head[3]))


def active_rule_set(conn: psycopg.Connection, default: RuleSet, by: str) -> tuple[RuleSet, int]:
    """The newest stored version of the rule set `default.id`; the code's default becomes version 1 if none."""
    row = conn.execute("SELECT max(version) FROM qc_config WHERE rule_set = %s", (default.id,)).fetchone()
    version = row[0] if row and row[0] is not None else save_rule_set(conn, default, by, "ecomon default")
    return load_rule_set(conn, version), version
