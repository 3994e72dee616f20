"""The tables of HJ 633-2012 and HJ 633-2026 (Technical Regulation on Ambient Air Quality Index), as data.

Nothing here computes; `aqi.py` reads these tables. Clause numbers refer to the standard named next to each
table. Concentrations in µg/m³ except CO in mg/m³.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ecomon.standards.rulesets import AqiRuleSet

IAQI_POINTS: Final = (0.0, 50.0, 100.0, 150.0, 200.0, 300.0, 400.0, 500.0)
"""Table 1 header row: the IAQI value at each breakpoint (both versions)."""

# HJ 633-2012 Table 1 (空气质量分指数及对应的污染物项目浓度限值), one tuple per column, the concentration at
# each IAQI point above. SO2 1 h stops at IAQI 200 (800 µg/m³) and O3 8 h at IAQI 300 (800 µg/m³); see
# ABOVE_TABLE for what each version does beyond them.
_BREAKPOINTS_2012: Final[dict[str, tuple[float, ...]]] = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}

# HJ 633-2026 Table 1: identical except the IAQI-100 breakpoints of PM10 (150 → 120) and PM2.5 (75 → 60).
BREAKPOINTS: Final[dict[AqiRuleSet, dict[str, tuple[float, ...]]]] = {
    "HJ633-2012": _BREAKPOINTS_2012,
    "HJ633-2026": {
        **_BREAKPOINTS_2012,
        "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
        "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500),
    },
}

AboveTable = tuple[Literal["iaqi"], float] | tuple[Literal["substitute"], str] | tuple[Literal["none"], None]

# Table 1 notes 2 and 3 — concentrations above a truncated column:
#   HJ 633-2012: SO2 1 h > 800 → no IAQI from the 1 h value, SO2's IAQI comes from its 24 h value (the
#                input column SO2_24h, read against the SO2_24h breakpoints);
#                O3 8 h > 800 → no IAQI from the 8 h value, O3's IAQI comes from its 1 h value.
#   HJ 633-2026: SO2 1 h > 800 → IAQI 200; O3 8 h > 800 → IAQI 300.
# Above the top of a full column neither version defines the IAQI; 500 (the top of the scale) is reported.
ABOVE_TABLE: Final[dict[AqiRuleSet, dict[str, AboveTable]]] = {
    "HJ633-2012": {"SO2_1h": ("substitute", "SO2_24h"), "O3_8h": ("none", None)},
    "HJ633-2026": {"SO2_1h": ("iaqi", 200.0), "O3_8h": ("iaqi", 300.0)},
}

INPUT_DECIMALS: Final[dict[AqiRuleSet, dict[str, int]]] = {
    "HJ633-2012": {},
    # HJ 633-2026 (IAQI calculation): concentrations are first rounded per GB/T 8170 before the IAQI is computed — CO to one
    # decimal (mg/m³), the others to integers (µg/m³).
    "HJ633-2026": {"SO2": 0, "NO2": 0, "O3": 0, "PM10": 0, "PM2.5": 0, "CO": 1},
}

AQI_FLOOR: Final[dict[AqiRuleSet, float]] = {"HJ633-2012": 0.0, "HJ633-2026": 1.0}
"""HJ 633-2012 starts the scale at 0 (first class 0–50); HJ 633-2026 gives the AQI range as 1–500."""


@dataclass(frozen=True)
class Feed:
    """One input column that feeds the AQI: which breakpoint column it is read against."""

    column: str
    pollutant: str
    breakpoints: str


# Which concentrations feed the AQI (HJ 633-2012 and HJ 633-2026, 日报 / 实时报 clauses):
#   2012 daily: 24 h means of SO2, NO2, CO, PM10, PM2.5; O3 daily max 1 h and daily max 8 h (7 items).
#   2012 real-time: 1 h SO2, NO2, CO, O3; O3 8 h moving mean; PM10 and PM2.5 24 h moving means (and SO2 24 h
#   moving mean only when the 1 h value is above 800).
#   2026 daily: daily means of SO2, NO2, CO, PM10, PM2.5; O3 daily max 8 h (6 items).
#   2026 real-time: 1 h values of all six; PM10 and PM2.5 1 h values are read against the 24 h breakpoints.
FEEDS: Final[dict[tuple[AqiRuleSet, str], tuple[Feed, ...]]] = {
    ("HJ633-2012", "day"): (
        Feed("SO2", "SO2", "SO2_24h"),
        Feed("NO2", "NO2", "NO2_24h"),
        Feed("CO", "CO", "CO_24h"),
        Feed("O3", "O3", "O3_1h"),
        Feed("O3_8h", "O3", "O3_8h"),
        Feed("PM10", "PM10", "PM10_24h"),
        Feed("PM2.5", "PM2.5", "PM2.5_24h"),
    ),
    ("HJ633-2012", "hour"): (
        Feed("SO2", "SO2", "SO2_1h"),
        Feed("NO2", "NO2", "NO2_1h"),
        Feed("CO", "CO", "CO_1h"),
        Feed("O3", "O3", "O3_1h"),
        Feed("O3_8h", "O3", "O3_8h"),
        Feed("PM10_24h", "PM10", "PM10_24h"),
        Feed("PM2.5_24h", "PM2.5", "PM2.5_24h"),
    ),
    ("HJ633-2026", "day"): (
        Feed("SO2", "SO2", "SO2_24h"),
        Feed("NO2", "NO2", "NO2_24h"),
        Feed("CO", "CO", "CO_24h"),
        Feed("O3_8h", "O3", "O3_8h"),
        Feed("PM10", "PM10", "PM10_24h"),
        Feed("PM2.5", "PM2.5", "PM2.5_24h"),
    ),
    ("HJ633-2026", "hour"): (
        Feed("SO2", "SO2", "SO2_1h"),
        Feed("NO2", "NO2", "NO2_1h"),
        Feed("CO", "CO", "CO_1h"),
        Feed("O3", "O3", "O3_1h"),
        Feed("PM10", "PM10", "PM10_24h"),
        Feed("PM2.5", "PM2.5", "PM2.5_24h"),
    ),
}

SEVERITY_CEILINGS: Final = (50, 100, 150, 200, 300)
"""HJ 633 空气质量指数及相关信息 table: the upper AQI of levels 1–5; above 300 is level 6."""


@dataclass(frozen=True)
class Level:
    """One row of the HJ 633 table 空气质量指数及相关信息: names, colour, effects and advice."""

    number: int
    roman: str
    category_zh: str
    category_en: str
    colour_zh: str
    colour_en: str
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]
    effects_zh: str
    effects_en: str
    advice_zh: str
    advice_en: str

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


# HJ 633-2012 Table 2 and its HJ 633-2026 counterpart; colours per the colour annex of both (identical). English names are
# common usage (the standards have none). Effects and advice follow the 2012 wording; 2026 rewords the
# groups (see GROUP_WORDING_2026).
LEVELS: Final[tuple[Level, ...]] = (
    Level(1, "I", "优", "Excellent", "绿色", "green", (0, 228, 0), (40, 0, 100, 0),
          "空气质量令人满意，基本无空气污染", "Air quality is satisfactory; air pollution poses little or no risk.",
          "各类人群可正常活动", "Everyone can continue normal activities."),
    Level(2, "II", "良", "Good", "黄色", "yellow", (255, 255, 0), (0, 0, 100, 0),
          "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
          "Acceptable; some pollutants may slightly affect a very few unusually sensitive people.",
          "极少数异常敏感人群应减少户外活动", "Unusually sensitive people should reduce outdoor activity."),
    Level(3, "III", "轻度污染", "Lightly polluted", "橙色", "orange", (255, 126, 0), (0, 52, 100, 0),
          "易感人群症状有轻度加剧，健康人群出现刺激症状",
          "Symptoms of susceptible people slightly aggravated; irritation in healthy people.",
          "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
          "Children, the elderly and people with heart or respiratory disease should reduce prolonged or "
          "heavy outdoor exertion."),
    Level(4, "IV", "中度污染", "Moderately polluted", "红色", "red", (255, 0, 0), (0, 100, 100, 0),
          "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
          "Symptoms of susceptible people further aggravated; possible heart and respiratory effects in "
          "healthy people.",
          "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
          "Children, the elderly and people with heart or respiratory disease should avoid prolonged or heavy "
          "outdoor exertion; everyone else should moderately reduce outdoor exercise."),
    Level(5, "V", "重度污染", "Heavily polluted", "紫色", "purple", (153, 0, 76), (10, 100, 40, 30),
          "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
          "Symptoms of heart and lung patients markedly aggravated, lower exercise tolerance; symptoms common "
          "in healthy people.",
          "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
          "Children, the elderly and heart or lung patients should stay indoors and stop outdoor exercise; "
          "everyone else should reduce outdoor activity."),
    Level(6, "VI", "严重污染", "Severely polluted", "褐红色", "maroon", (126, 0, 35), (30, 100, 100, 30),
          "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
          "Healthy people's exercise tolerance reduced, with strong symptoms; early onset of some diseases.",
          "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
          "Children, the elderly and the sick should stay indoors and avoid exertion; everyone else should "
          "avoid outdoor activity."),
)

GROUP_WORDING_2026: Final[dict[str, str]] = {"儿童": "青少年儿童", "心脏病": "心血管系统疾病"}
"""HJ 633-2026 names the groups "青少年儿童" and "心血管系统疾病" where 2012 says "儿童" and "心脏病"."""

# HJ 633-2026 Table 2: sensitive groups when a pollutant's IAQI exceeds 100 (new in 2026).
SENSITIVE_GROUPS_2026: Final[dict[str, tuple[str, str]]] = {
    "SO2": ("哮喘患者、青少年儿童、老年人", "asthmatics, children and adolescents, the elderly"),
    "NO2": ("哮喘等呼吸系统疾病患者、青少年儿童、老年人",
            "people with respiratory disease such as asthma, children and adolescents, the elderly"),
    "CO": ("心血管系统疾病患者", "people with cardiovascular disease"),
    "O3": ("哮喘等呼吸系统疾病患者、青少年儿童、户外活动人群、老年人",
           "people with respiratory disease such as asthma, children and adolescents, people often outdoors, "
           "the elderly"),
    "PM10": ("心血管或呼吸系统疾病患者、青少年儿童、户外活动人群、老年人",
             "people with cardiovascular or respiratory disease, children and adolescents, people often outdoors, "
             "the elderly"),
    "PM2.5": ("心血管或呼吸系统疾病患者、青少年儿童、户外活动人群、老年人",
              "people with cardiovascular or respiratory disease, children and adolescents, people often "
              "outdoors, the elderly"),
}

EXCEEDING_ABOVE: Final = 100.0
"""HJ 633-2012 (超标污染物 definition): a pollutant whose IAQI is above 100 is an exceeding pollutant (deleted in HJ 633-2026)."""
PRIMARY_ABOVE: Final = 50.0
"""HJ 633-2012 and HJ 633-2026 (首要污染物 definition): primary pollutants are named only when the AQI is above 50."""
PUBLISH_INCOMPLETE_ABOVE: Final = 100.0
"""HJ 633-2026 (数据完整性 for publication): with a pollutant missing, the AQI is published only if it is above 100."""
