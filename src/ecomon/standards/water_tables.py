"""GB 3838-2002 limit tables as data, with the item names and HJ 212 factor codes that point at them.

Units are those of GB 3838-2002 Table 1: mg/L, pH dimensionless, faecal coliform count per litre.
"""

from __future__ import annotations

from dataclasses import dataclass

RIVER = "river"
LAKE = "lake"

#: Class codes used throughout: 1..5 = class I..V, 6 = 劣V (worse than V), 0 = nothing evaluated.
CLASS_LABELS: tuple[str, ...] = ("", "I", "II", "III", "IV", "V", "劣V")
INFERIOR_V = 6


@dataclass(frozen=True)
class WaterItem:
    """One GB 3838-2002 Table 1 item: its class I..V limits and the direction of "worse"."""

    key: str
    name_zh: str
    limits: tuple[float, float, float, float, float]
    lower_is_worse: bool = False
    lake_limits: tuple[float, float, float, float, float] | None = None


#: GB 3838-2002 Table 1 (basic items), row 2: pH 6–9 applies to every class.
PH_RANGE = (6.0, 9.0)

#: GB 3838-2002 Table 1, rows 3–24. DO (row 3) is "≥": a lower value is worse. Class I DO also admits
#: "90 % saturation", which needs temperature and salinity and is not applied here. TP (row 9) has a
#: separate, stricter column for lakes and reservoirs; TN (row 10) is defined for lakes and reservoirs.
TABLE_1: dict[str, WaterItem] = {
    item.key: item
    for item in (
        WaterItem("DO", "溶解氧", (7.5, 6, 5, 3, 2), lower_is_worse=True),
        WaterItem("CODMn", "高锰酸盐指数", (2, 4, 6, 10, 15)),
        WaterItem("COD", "化学需氧量", (15, 15, 20, 30, 40)),
        WaterItem("BOD5", "五日生化需氧量", (3, 3, 4, 6, 10)),
        WaterItem("NH3-N", "氨氮", (0.15, 0.5, 1.0, 1.5, 2.0)),
        WaterItem("TP", "总磷", (0.02, 0.1, 0.2, 0.3, 0.4), lake_limits=(0.01, 0.025, 0.05, 0.1, 0.2)),
        WaterItem("TN", "总氮", (0.2, 0.5, 1.0, 1.5, 2.0)),
        WaterItem("Cu", "铜", (0.01, 1.0, 1.0, 1.0, 1.0)),
        WaterItem("Zn", "锌", (0.05, 1.0, 1.0, 2.0, 2.0)),
        WaterItem("F", "氟化物", (1.0, 1.0, 1.0, 1.5, 1.5)),
        WaterItem("Se", "硒", (0.01, 0.01, 0.01, 0.02, 0.02)),
        WaterItem("As", "砷", (0.05, 0.05, 0.05, 0.1, 0.1)),
        WaterItem("Hg", "汞", (0.00005, 0.00005, 0.0001, 0.001, 0.001)),
        WaterItem("Cd", "镉", (0.001, 0.005, 0.005, 0.005, 0.01)),
        WaterItem("Cr6", "六价铬", (0.01, 0.05, 0.05, 0.05, 0.1)),
        WaterItem("Pb", "铅", (0.01, 0.01, 0.05, 0.05, 0.1)),
        WaterItem("CN", "氰化物", (0.005, 0.05, 0.2, 0.2, 0.2)),
        WaterItem("phenol", "挥发酚", (0.002, 0.002, 0.005, 0.01, 0.1)),
        WaterItem("petroleum", "石油类", (0.05, 0.05, 0.05, 0.5, 1.0)),
        WaterItem("LAS", "阴离子表面活性剂", (0.2, 0.2, 0.2, 0.3, 0.3)),
        WaterItem("sulfide", "硫化物", (0.05, 0.1, 0.2, 0.5, 1.0)),
        WaterItem("fecal_coliform", "粪大肠菌群", (200, 2000, 10000, 20000, 40000)),
    )
}

#: Every Table 1 item that can be evaluated, pH first (water temperature has no class limits).
ALL_ITEMS: tuple[str, ...] = ("pH", *TABLE_1)

#: 地表水环境质量评价办法（试行）(环办〔2011〕22号), evaluation indicators: the class of a section uses the Table 1 items
#: except water temperature, total nitrogen and faecal coliform (21 items); TN (lakes) and faecal coliform
#: are assessed separately.
CLASS_ITEMS_2011: tuple[str, ...] = tuple(key for key in ALL_ITEMS if key not in ("TN", "fecal_coliform"))
SEPARATE_ITEMS_2011: tuple[str, ...] = ("TN", "fecal_coliform")

#: 环办〔2011〕22号, section water-quality status table: status words per class (I and II are both 优).
STATUS_WORDS: tuple[str, ...] = ("", "优", "优", "良好", "轻度污染", "中度污染", "重度污染")

#: GB 3838-2002 Table 2, supplementary items for centralised drinking-water sources (mg/L): a single limit.
TABLE_2: dict[str, tuple[str, float]] = {
    "sulfate": ("硫酸盐（以SO4²⁻计）", 250.0),
    "chloride": ("氯化物（以Cl⁻计）", 250.0),
    "nitrate": ("硝酸盐（以N计）", 10.0),
    "Fe": ("铁", 0.3),
    "Mn": ("锰", 0.1),
}

#: HJ 212-2017 Appendix B Table B.1 water factor codes for the items above, with the factor that turns the
#: unit printed in Table B.1 into mg/L (Hg, Cd, Cr(VI), As, Pb and Se codes are printed in µg/L).
HJ212_CODES: dict[str, tuple[str, float]] = {
    "w01001": ("pH", 1.0),
    "w01009": ("DO", 1.0),
    "w01019": ("CODMn", 1.0),
    "w01018": ("COD", 1.0),
    "w01017": ("BOD5", 1.0),
    "w21003": ("NH3-N", 1.0),
    "w21011": ("TP", 1.0),
    "w21001": ("TN", 1.0),
    "w20122": ("Cu", 1.0),
    "w20123": ("Zn", 1.0),
    "w21017": ("F", 1.0),
    "w20128": ("Se", 0.001),
    "w20119": ("As", 0.001),
    "w20141": ("As", 1.0),
    "w20111": ("Hg", 0.001),
    "w20115": ("Cd", 0.001),
    "w20117": ("Cr6", 0.001),
    "w20120": ("Pb", 0.001),
    "w21016": ("CN", 1.0),
    "w23002": ("phenol", 1.0),
    "w22001": ("petroleum", 1.0),
    "w19002": ("LAS", 1.0),
    "w21019": ("sulfide", 1.0),
    "w02003": ("fecal_coliform", 1.0),
    "w21038": ("sulfate", 1.0),
    "w21022": ("chloride", 1.0),
    "w21007": ("nitrate", 1.0),
    "w20125": ("Fe", 1.0),
    "w20124": ("Mn", 1.0),
}
