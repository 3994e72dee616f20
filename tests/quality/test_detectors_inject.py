"""Each detector finds its injected pattern and stays quiet on a clean Beijing month (April 2014)."""

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from ecomon.quality.detectors.calibration_abuse import detect_calibration_abuse
from ecomon.quality.detectors.catalogue import detect_hourly
from ecomon.quality.detectors.cems_tamper import detect_cems_tamper
from ecomon.quality.detectors.panel import build_panels, neighbour_median
from ecomon.quality.detectors.parked import detect_parked
from ecomon.quality.detectors.raw_vs_hourly import detect_raw_vs_hourly

START, END = datetime(2014, 3, 31, 16, tzinfo=UTC), datetime(2014, 4, 30, 16, tzinfo=UTC)
CLEAN_PARAMS = ["PM2.5", "PM10", "NO2", "CO"]


@pytest.fixture(scope="module")
def april(beijing):
    month = beijing.filter((pl.col("time") >= START) & (pl.col("time") < END)
                           & pl.col("parameter").is_in(CLEAN_PARAMS))
    return build_panels(month)


def frame_of(panels) -> pl.DataFrame:
    parts = []
    for p, pan in panels.items():
        tt, ss = np.nonzero(~np.isnan(pan.values))
        parts.append(pl.DataFrame({"time": pan.times[tt].astype("datetime64[us]"),
                                   "station": np.array(pan.stations)[ss], "parameter": p,
                                   "value": pan.values[tt, ss]}))
    return pl.concat(parts).with_columns(pl.col("time").dt.replace_time_zone("UTC"))


def edit(panels, parameter, fn):
    values = {p: pan.values.copy() for p, pan in panels.items()}
    fn(values[parameter]) if parameter else fn(values)
    return {p: type(pan)(p, pan.times, pan.stations, values[p]) for p, pan in panels.items()}


def alarms(panels, coords, detector):
    return [e for e in detect_hourly(frame_of(panels), coords) if e.detector == detector]


def hits(events, station, times, t0, t1):
    return [e for e in events if e.station == station and e.start <= times[t1] and e.end >= times[t0]]


def test_clean_april_2014_raises_no_alarm(april, coords):
    assert detect_hourly(frame_of(april), coords) == []


def test_flat_eight_hours(april, coords):
    s = april["PM2.5"].stations.index("Dongsi")
    changed = edit(april, "PM2.5", lambda v: v.__setitem__((slice(300, 308), s), 120.0))
    assert hits(alarms(changed, coords, "flat"), "Dongsi", april["PM2.5"].times, 300, 307)


def test_copy_of_the_same_day_a_week_earlier(april, coords):
    s = april["NO2"].stations.index("Wanliu")
    changed = edit(april, "NO2", lambda v: v.__setitem__((slice(400, 424), s), v[232:256, s]))
    found = hits(alarms(changed, coords, "copy"), "Wanliu", april["NO2"].times, 400, 423)
    assert found and found[0].evidence["lag_hours"] == 168


def test_copy_of_another_station(april, coords):
    a, b = (april["PM10"].stations.index(x) for x in ("Huairou", "Tiantan"))
    changed = edit(april, "PM10", lambda v: v.__setitem__((slice(500, 530), a), v[500:530, b]))
    found = hits(alarms(changed, coords, "copy"), "Huairou", april["PM10"].times, 500, 529)
    assert found and found[0].evidence["source_station"] == "Tiantan"


def test_cap_at_a_ceiling(april, coords):
    s = april["PM2.5"].stations.index("Gucheng")
    def cap(v):
        w = v[400:568, s]
        ceiling = max(np.round(np.nanquantile(w, 0.75)), np.nanmedian(v[:, s]) + 1)
        w[w > ceiling] = ceiling
    changed = edit(april, "PM2.5", cap)
    assert hits(alarms(changed, coords, "clamp"), "Gucheng", april["PM2.5"].times, 400, 567)


def test_daily_means_parked_under_75(april, coords):
    s = april["PM2.5"].stations.index("Shunyi")
    def park(v):
        for d in range(18):  # 18 daily means spread over 66–74.5, none left just above 75
            day = v[24 * d:24 * d + 24, s]
            day *= (66 + 0.5 * d) / np.nanmean(day)
    changed = edit(april, "PM2.5", park)
    assert hits(alarms(changed, coords, "parked"), "Shunyi", april["PM2.5"].times, 0, 431)


@pytest.mark.parametrize(("station", "factor", "found"), [
    ("Guanyuan", 0.5, True), ("Dingling", 0.4, True), ("Dingling", 0.5, True),
    # Dingling's ratio to its neighbours scatters ×1.3 from day to day in these weeks (suburban, by the hills):
    # a ×0.7 step there stays within 2 such spreads, so it is not told apart from the weather.
    ("Dingling", 0.7, False)])
def test_level_shift_against_neighbours(beijing, coords, station, factor, found):
    """Needs a month of history for the station's own normal: March–April 2014, shift in the last 12 days."""
    spring = build_panels(beijing.filter((pl.col("time") >= datetime(2014, 2, 28, 16, tzinfo=UTC))
                                         & (pl.col("time") < END) & (pl.col("parameter") == "PM2.5")))
    s = spring["PM2.5"].stations.index(station)
    changed = edit(spring, "PM2.5", lambda v: v.__setitem__((slice(1150, 1440), s), v[1150:1440, s] * factor))
    alarms_ = hits(alarms(changed, coords, "neighbour_shift"), station, spring["PM2.5"].times, 1150, 1439)
    assert bool(alarms_) is found


def test_spraying_drops_both_particle_sizes_for_three_hours(april, coords):
    ref = neighbour_median(april["PM2.5"], coords)
    s = april["PM2.5"].stations.index("Guanyuan")
    t = 360 + int(np.nanargmax(ref[360:, s]))
    def spray(values):
        for p in ("PM2.5", "PM10"):
            values[p][t:t + 3, s] *= 0.2
    changed = edit(april, None, spray)
    found = alarms(changed, coords, "spraying")
    found = hits(found, "Guanyuan", april["PM2.5"].times, t, t + 2)
    assert [e.parameter for e in found] == [""]  # one station-level event for both particle sizes
    assert found[0].evidence["ratio_vs_normal_PM2.5"] < 0.5 and found[0].evidence["ratio_vs_normal_PM10"] < 0.5


def test_gaps_at_high_values(april, coords):
    ref = neighbour_median(april["PM10"], coords)
    s = april["PM10"].stations.index("Aotizhongxin")
    top = np.argsort(np.where(np.isnan(ref[:, s]), -np.inf, ref[:, s]))[-30:][::3]
    changed = edit(april, "PM10", lambda v: v.__setitem__((top, s), np.nan))
    assert hits(alarms(changed, coords, "gaps_at_high"), "Aotizhongxin", april["PM10"].times, int(top.min()),
                int(top.max()))


def test_smoothing_by_a_moving_average(april, coords):
    s = april["PM2.5"].stations.index("Changping")
    def smooth(v):
        col = v[:, s].copy()
        filled = np.where(np.isnan(col), np.nanmean(col), col)
        v[300:420, s] = np.round(np.convolve(filled, np.ones(25) / 25, mode="same")[300:420])
    changed = edit(april, "PM2.5", smooth)
    assert hits(alarms(changed, coords, "smoothing"), "Changping", april["PM2.5"].times, 300, 419)


def _minute_frame(hours: int = 3):
    t = pl.datetime_range(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, hours - 1, 59,
                                                                              tzinfo=UTC), "1m", eager=True)
    return pl.DataFrame({"time": t, "station": "S1", "parameter": "SO2", "value": np.arange(t.len()) % 60 + 10.0})


def test_raw_vs_hourly_catches_an_edited_hour():
    minutes = _minute_frame()
    hourly = (minutes.with_columns(time=pl.col("time").dt.truncate("1h"))
              .group_by("station", "parameter", "time").agg(pl.col("value").mean().round(1)).sort("time"))
    assert detect_raw_vs_hourly(minutes, hourly) == []
    edited = hourly.with_columns(value=pl.when(pl.int_range(pl.len()) == 1).then(20.0).otherwise(pl.col("value")))
    found = detect_raw_vs_hourly(minutes, edited)
    assert [(e.start, e.evidence["raw_mean"]) for e in found] == [(np.datetime64("2024-01-01T01:00:00"), 39.5)]


def test_calibration_marks_after_near_limit_hours():
    rng = np.random.default_rng(3)
    n = 24 * 30
    value = rng.uniform(20, 60, n)
    flag = np.array(["N"] * n, dtype=object)
    near = rng.choice(np.arange(1, n - 1), 8, replace=False)
    value[near] = 95.0  # just under L = 100
    flag[near + 1] = "C"
    t = pl.datetime_range(datetime(2024, 1, 1), datetime(2024, 1, 30, 23), "1h", eager=True)
    frame = pl.DataFrame({"time": t, "station": "E1", "parameter": "SO2", "value": value, "flag": flag})
    found = detect_calibration_abuse(frame, {"SO2": 100.0})
    assert len(found) == 1 and found[0].evidence["marked_after_near_limit"] == 8
    quiet = frame.with_columns(flag=pl.lit("N"))
    assert detect_calibration_abuse(quiet, {"SO2": 100.0}) == []


def test_cems_dilution_and_flow_decoupling():
    n = 120
    o2 = np.full(n, 9.0) + np.sin(np.arange(n)) * 0.5
    flow = np.full(n, 1e5)
    conc = np.full(n, 30.0)
    o2[40:50] = 20.2  # dilution air
    conc[80:85] = 0.0  # analyser reads zero with the fan running
    t = pl.datetime_range(datetime(2024, 1, 1), datetime(2024, 1, 1, 1, 59), "1m", eager=True)
    found = detect_cems_tamper(pl.DataFrame({"time": t, "outlet": "DA001", "O2": o2, "flow": flow, "conc": conc}))
    assert sorted((e.evidence["check"], int(e.evidence["rows"])) for e in found) == [("dilution", 10),
                                                                                    ("flow_decoupling", 5)]


def test_network_wide_freeze_is_a_feed_fault_not_a_flat_alarm(april, coords):
    """The published record holds several stations at once (e.g. O3, March 2013): no D1/D4 alarm for that."""
    cols = [april["PM2.5"].stations.index(x) for x in ("Dongsi", "Tiantan", "Guanyuan")]
    def hold(v):
        for s in cols:
            v[300:310, s] = v[300, s]
    changed = edit(april, "PM2.5", hold)
    found = [e for e in detect_hourly(frame_of(changed), coords) if e.detector in ("flat", "clamp")]
    assert not [e for e in found if e.start <= april["PM2.5"].times[309] and e.end >= april["PM2.5"].times[300]]


def test_one_plateau_at_a_peak_is_not_a_ceiling(april, coords):
    s = april["PM2.5"].stations.index("Gucheng")
    peak = 400 + int(np.nanargmax(april["PM2.5"].values[400:568, s]))
    changed = edit(april, "PM2.5", lambda v: v.__setitem__((slice(peak, peak + 3), s), v[peak, s]))
    assert not hits(alarms(changed, coords, "clamp"), "Gucheng", april["PM2.5"].times, peak, peak + 2)


def test_particles_falling_with_the_gases_is_an_air_mass_change_not_spraying(april, coords):
    ref = neighbour_median(april["PM2.5"], coords)
    s = april["PM2.5"].stations.index("Guanyuan")
    t = 360 + int(np.nanargmax(ref[360:, s]))
    def dilute(values):
        for p in ("PM2.5", "PM10", "NO2", "CO"):
            values[p][t:t + 3, s] *= 0.2
    changed = edit(april, None, dilute)
    assert not hits(alarms(changed, coords, "spraying"), "Guanyuan", april["PM2.5"].times, t, t + 2)


def test_gaps_at_high_values_during_a_network_outage_are_not_selection(april, coords):
    ref = neighbour_median(april["PM10"], coords)
    s = april["PM10"].stations.index("Aotizhongxin")
    top = np.argsort(np.where(np.isnan(ref[:, s]), -np.inf, ref[:, s]))[-30:][::3]
    changed = edit(april, "PM10", lambda v: v.__setitem__((top, slice(None)), np.nan))
    assert not alarms(changed, coords, "gaps_at_high")


def test_gaps_at_high_values_when_the_whole_station_is_down_are_an_outage(april, coords):
    """A logger or link outage drops every parameter of the station; selection drops only the high one."""
    ref = neighbour_median(april["PM10"], coords)
    s = april["PM10"].stations.index("Aotizhongxin")
    top = np.argsort(np.where(np.isnan(ref[:, s]), -np.inf, ref[:, s]))[-30:][::3]
    def station_down(values):
        for v in values.values():
            v[top, s] = np.nan
    changed = edit(april, None, station_down)
    assert not hits(alarms(changed, coords, "gaps_at_high"), "Aotizhongxin", april["PM10"].times, 0,
                    april["PM10"].times.size - 1)


def test_a_frozen_series_is_not_reported_as_smoothed(april, coords):
    s = april["PM2.5"].stations.index("Changping")
    changed = edit(april, "PM2.5", lambda v: v.__setitem__((slice(300, 360), s), 80.0))
    assert not hits(alarms(changed, coords, "smoothing"), "Changping", april["PM2.5"].times, 300, 359)
    assert hits(alarms(changed, coords, "flat"), "Changping", april["PM2.5"].times, 300, 359)


def test_same_station_copy_is_reported_on_the_later_day(april, coords):
    s = april["NO2"].stations.index("Wanliu")
    changed = edit(april, "NO2", lambda v: v.__setitem__((slice(400, 424), s), v[232:256, s]))
    found = alarms(changed, coords, "copy")
    assert hits(found, "Wanliu", april["NO2"].times, 400, 423)
    assert not hits(found, "Wanliu", april["NO2"].times, 232, 255)


def test_level_shift_of_the_whole_network_is_not_a_station_shift(beijing, coords):
    spring = build_panels(beijing.filter((pl.col("time") >= datetime(2014, 2, 28, 16, tzinfo=UTC))
                                         & (pl.col("time") < END) & (pl.col("parameter") == "PM2.5")))
    changed = edit(spring, "PM2.5", lambda v: v.__setitem__(slice(1150, 1440), v[1150:1440] * 0.5))
    assert not alarms(changed, coords, "neighbour_shift")


def test_o3_is_compared_with_its_neighbours_as_total_oxidant(april):
    from ecomon.quality.detectors.neighbour_shift import total_oxidant
    o3 = build_panels(pl.DataFrame({
        "time": [datetime(2024, 1, 1, tzinfo=UTC)] * 2, "station": ["A", "B"], "parameter": ["O3", "O3"],
        "value": [40.0, 10.0]}))["O3"]
    no2 = type(o3)("NO2", o3.times, o3.stations, np.array([[20.0, 50.0]]))
    ox = total_oxidant(o3, no2)
    assert ox.parameter == "O3" and ox.values.tolist() == [[60.0, 60.0]]  # titration moved O3, not Ox


def test_a_drop_right_after_a_gap_is_a_monitor_restarting_not_spraying(april, coords):
    """The same 3-hour drop as the spraying test, but the hour before it is missing (an outage ended)."""
    ref = neighbour_median(april["PM2.5"], coords)
    s = april["PM2.5"].stations.index("Guanyuan")
    t = 360 + int(np.nanargmax(ref[360:, s]))
    def restart(values):
        for p in ("PM2.5", "PM10"):
            values[p][t - 3:t, s] = np.nan
            values[p][t:t + 3, s] *= 0.2
    changed = edit(april, None, restart)
    assert not hits(alarms(changed, coords, "spraying"), "Guanyuan", april["PM2.5"].times, t, t + 2)


def test_daily_means_parked_across_a_month_boundary(beijing):
    """Twenty daily means parked under 75 from 20 March to 8 April 2014: ten in each calendar month, too few
    for either month alone, one episode for a sliding 30-day window."""
    spring = build_panels(beijing.filter((pl.col("time") >= datetime(2014, 2, 28, 16, tzinfo=UTC))
                                         & (pl.col("time") < END) & (pl.col("parameter") == "PM2.5")))["PM2.5"]
    s = spring.stations.index("Shunyi")
    values = spring.values.copy()
    first = 19 * 24  # 20 March, local midnight
    for d in range(20):
        day = values[first + 24 * d:first + 24 * d + 24, s]
        day *= (66 + 0.4 * d) / np.nanmean(day)
    found = [e for e in detect_parked(type(spring)("PM2.5", spring.times, spring.stations, values))
             if e.station == "Shunyi"]
    assert len(found) == 1 and found[0].evidence["below"] >= 20
    assert found[0].start <= spring.times[first + 24 * 10] <= found[0].end


def test_a_drop_that_stays_low_while_the_neighbours_follow_is_cleaner_air_not_spraying(april, coords):
    """The spraying test's 3-hour drop, but the station does not rebound: cleaner air reached it first and the
    other stations fall to its level in the next hours."""
    ref = neighbour_median(april["PM2.5"], coords)
    s = april["PM2.5"].stations.index("Guanyuan")
    t = 360 + int(np.nanargmax(ref[360:, s]))
    def front(values):
        for p in ("PM2.5", "PM10"):
            values[p][t:t + 3, s] *= 0.2
            values[p][t + 3:t + 9, :] = values[p][t + 2, s]
    changed = edit(april, None, front)
    assert not hits(alarms(changed, coords, "spraying"), "Guanyuan", april["PM2.5"].times, t, t + 2)


def test_one_outage_during_the_highest_hours_is_not_selective_gaps(april, coords):
    """Six consecutive hours missing at the month's highest neighbour values: one outage, one decision."""
    ref = neighbour_median(april["PM10"], coords)
    s = april["PM10"].stations.index("Aotizhongxin")
    peak = int(np.nanargmax(ref[:, s]))
    changed = edit(april, "PM10", lambda v: v.__setitem__((slice(peak - 3, peak + 3), s), np.nan))
    assert not hits(alarms(changed, coords, "gaps_at_high"), "Aotizhongxin", april["PM10"].times, peak - 3,
                    peak + 2)
