"""Strings of evaluation results and reports: (Chinese, English)."""

STRINGS: dict[str, tuple[str, str]] = {
    "report.daily.title": ("环境空气质量日报", "Daily ambient air quality report"),
    "report.monthly_air.title": ("环境空气质量月报", "Monthly ambient air quality report"),
    "report.water.title": ("地表水水质月报（断面水质类别）", "Monthly surface water quality by section"),
    "report.source.title": ("重点污染源超标排放情况", "Pollution source exceedances"),
    "report.unit": ("单位", "Unit"),
    "report.date": ("日期", "Date"),
    "report.month": ("月份", "Month"),
    "report.period": ("时段", "Period"),
    "report.rule_set": ("评价依据", "Rules applied"),
    "report.issued": ("生成时间", "Generated"),
    "report.preliminary": ("数据含未经审核的实时数据，仅供参考。", "Contains preliminary (unreviewed) data."),
    "report.no_data": ("无数据", "No data"),
    "report.table.city": ("城市空气质量", "City air quality"),
    "report.table.stations": ("各监测点位空气质量", "Air quality by station"),
    "report.table.city_month": ("全市空气质量状况及同比变化", "City air quality and change vs last year"),
    "report.table.districts": ("各区空气质量综合指数排名", "District ranking by composite index"),
    "report.table.station_rank": ("各监测点位空气质量综合指数排名", "Station ranking by composite index"),
    "report.table.sections": ("断面水质类别", "Water class by section"),
    "report.table.exceedances": ("排放口超标情况", "Exceedances by outlet"),
    "col.place": ("监测点位", "Station"),
    "col.city": ("城市", "City"),
    "col.district": ("区县", "District"),
    "col.rank": ("排名", "Rank"),
    "col.aqi": ("AQI", "AQI"),
    "col.level": ("级别", "Level"),
    "col.category": ("类别", "Category"),
    "col.primary": ("首要污染物", "Primary pollutant"),
    "col.coverage": ("有效项目数", "Valid items"),
    "col.composite": ("综合指数", "Composite index"),
    "col.composite_change": ("综合指数同比(%)", "Composite change vs last year (%)"),
    "col.composite_primary": ("最大分指数项目", "Largest sub-index item"),
    "col.good_days": ("优良天数", "Good days"),
    "col.aqi_days": ("有效天数", "Days assessed"),
    "col.good_rate": ("优良天数比例(%)", "Good-day rate (%)"),
    "col.good_rate_change": ("同比(百分点)", "Change (points)"),
    "col.heavy_days": ("重度及以上污染天数", "Heavy-pollution days"),
    "col.pm25_change": ("PM₂.₅同比(%)", "PM2.5 change (%)"),
    "col.section": ("断面名称", "Section"),
    "col.region": ("所在区域", "Region"),
    "col.waterbody": ("水体类型", "Water body"),
    "col.target": ("目标类别", "Target class"),
    "col.class": ("本月类别", "Class this month"),
    "col.status": ("水质状况", "Status"),
    "col.compliant": ("是否达标", "Meets target"),
    "col.main_pollutants": ("主要污染指标（超标倍数）", "Main pollutants (exceedance multiple)"),
    "col.samples": ("监测次数", "Samples"),
    "col.enterprise": ("企业名称", "Enterprise"),
    "col.uscc": ("统一社会信用代码", "Credit code"),
    "col.outlet": ("排放口", "Outlet"),
    "col.pollutant": ("污染物", "Pollutant"),
    "col.limit": ("排放限值", "Limit"),
    "col.standard": ("执行标准", "Emission standard"),
    "col.valid_hours": ("有效小时数", "Valid hours"),
    "col.exceed_hours": ("超标小时数", "Hours above limit"),
    "col.max_value": ("最大小时值", "Highest hourly value"),
    "col.max_multiple": ("最大超标倍数", "Highest exceedance multiple"),
    "col.valid_days": ("有效日数", "Valid days"),
    "col.exceed_days": ("日均值超标天数", "Days with daily mean above limit"),
    "col.first": ("首次超标时间", "First exceedance"),
    "col.last": ("末次超标时间", "Last exceedance"),
    "report.table.rivers": ("河流、流域水质状况", "Rivers and basins"),
    "report.table.lakes": ("湖泊、水库水质及营养状态", "Lakes and reservoirs: quality and trophic state"),
    "col.water_level": ("评价对象", "Level"),
    "col.water_name": ("名称", "Name"),
    "col.sections": ("断面数", "Sections"),
    "col.method": ("评价方法", "Method"),
    "col.share_good": ("Ⅰ～Ⅲ类比例", "Class I-III share"),
    "col.share_inferior": ("劣Ⅴ类比例", "Worse than V share"),
    "col.lake": ("湖库", "Lake or reservoir"),
    "col.points": ("点位数", "Points"),
    "col.trophic": ("营养状态", "Trophic state"),
    "water.level.water_body": ("河流", "River"),
    "water.level.basin": ("流域", "Basin"),
    "water.method.proportion": ("断面水质类别比例法", "Section-class proportion"),
    "water.method.mean": ("断面均值法", "Mean of sections"),
    "note.water_bodies": (
        ("河流、流域：断面数≥5 时按断面水质类别比例法，<5 时按各断面指标均值评价（环办〔2011〕22号）；湖库按各点位均值评价，"
        "营养状态按综合营养状态指数 TLI(Σ)（总站生字〔2001〕090号，叶绿素 a、总磷、总氮、透明度、高锰酸盐指数）。"),
        ("Rivers and basins: section-class proportion from 5 sections, else the mean of the sections (2011 method); "
        "lakes from the mean of their points; trophic state by TLI(Σ) (CNEMC 2001 No. 090: chla, TP, TN, SD, "
        "CODMn).")),
    "report.table.loads": ("排放量与许可排放量", "Emission loads against permitted totals"),
    "col.permit_number": ("排污许可证编号", "Discharge permit No."),
    "col.whole_plant": ("全厂合计", "Whole plant"),
    "col.load_hours": ("排放量核算小时数", "Hours with load"),
    "col.emitted": ("时段排放量", "Emitted in period"),
    "col.load_hours_ytd": ("本年核算小时数（{span}）", "Hours with load ({span})"),
    "col.emitted_ytd": ("本年累计排放量（{span}）", "Emitted year to date ({span})"),
    "col.permitted": ("年许可排放量", "Permitted per year"),
    "col.permit_share": ("许可量使用率", "Share of permit used"),
    "col.permit_state": ("许可排放量执行情况", "Permit status"),
    "load.exceeded": ("超许可排放量", "Above permitted total"),
    "load.within": ("未超许可排放量", "Within permitted total"),
    "note.loads": (
        ("排放量 = 小时浓度 × 同一小时流量（废气 a00000、废水 w00000），仅累计浓度与流量均有效的小时，缺失小时不估算；"
        "许可排放量为排污许可证载明的年许可量，与本年 1 月 1 日起的累计排放量比较。"),
        ("Load = hourly concentration × the same hour's flow (flue gas a00000, wastewater w00000) over hours where "
        "both are valid; missing hours are not estimated. Permitted totals are the permit's annual amounts, compared "
        "with the emissions since 1 January.")),
    "note.aqi_rules": ("AQI 按 {rule} 计算；{period}。", "AQI per {rule}; {period}."),
    "note.daily_inputs": (
        ("SO₂、NO₂、CO、PM₁₀、PM₂.₅ 为 24 小时平均，O₃ 为日最大 1 小时平均及日最大 8 小时滑动平均；"
        "有效性按 GB 3095 表 4（日均值至少 20 个小时值）。"),
        ("SO2, NO2, CO, PM10, PM2.5: 24-h means; O3: daily max 1-h and max 8-h moving mean; validity per "
        "GB 3095 Table 4 (>= 20 hourly values a day).")),
    "note.city_mean": ("城市浓度为各点位日均值的算术平均，再计算 AQI。",
                       "City concentrations are the mean of the stations' daily values; the AQI is computed from them."),
    "note.assessment": (
        ("按 HJ 663 评价，限值 {limits}（二级）；综合指数为各项目浓度与二级标准之比之和（CO 取日均值第 95 百分位数，"
        "O₃ 取日最大 8 小时平均第 90 百分位数）；排名 1 为最好；优良天数比例为 AQI ≤ 100 的天数占有效天数之比。"),
        ("Assessed per HJ 663 with {limits} grade-2 limits; composite index = sum of concentration/limit (CO 95th, "
        "O3 8-h 90th percentile); rank 1 is best; good-day rate = share of days with AQI <= 100.")),
    "note.water": (
        ("按 GB 3838-2002 与《地表水环境质量评价办法（试行）》（环办〔2011〕22号）单因子评价 21 项指标月均值；"
        "超标倍数相对目标类别限值。"),
        ("Single-factor evaluation of the monthly means of the 21 items of GB 3838-2002 and the 2011 method; "
        "exceedance multiples against the target class.")),
    "note.source": (
        ("有效小时为数据标记 N/S 的小时值（HJ 75-2017、HJ 212）；日均值需至少 20 个有效小时（HJ 76-2017 附录）；"
        "限值为排放口登记的执行标准限值（折算值）。"),
        ("Valid hours carry flag N or S (HJ 75-2017, HJ 212); a daily mean needs >= 20 valid hours (HJ 76-2017); "
        "limits are those registered for the outlet (reference-oxygen values).")),
    "period.day": ("日报，自然日 0—24 时", "daily report, natural day 00-24 h"),
    "unit.air": ("浓度单位：μg/m³（CO 为 mg/m³）", "Units: µg/m³ (CO mg/m³)"),
    "unit.water": ("浓度单位：mg/L（pH 无量纲）", "Units: mg/L (pH dimensionless)"),
    # functional-zone noise and gamma dose-rate monthly reports (reports/noise.py, reports/radiation.py)
    "report.ecology.title": ("生态质量年度评价表", "Yearly ecological status index"),
    "report.table.ecology": ("各评价单元生态环境状况指数", "Ecological status index by assessment unit"),
    "report.year": ("年度", "Year"),
    "ecology.biological_abundance": ("生物丰度指数", "Biological abundance"),
    "ecology.vegetation_cover": ("植被覆盖指数", "Vegetation cover"),
    "ecology.water_network": ("水网密度指数", "Water network density"),
    "ecology.land_stress": ("土地胁迫指数", "Land stress"),
    "ecology.pollution_load": ("污染负荷指数", "Pollution load"),
    "ecology.missing": ("未评价（缺少{items}）", "Not assessed (missing {items})"),
    "col.assessment_unit": ("评价单元", "Assessment unit"),
    "col.ecology_downgrade": ("环境限制降级", "Grades lowered"),
    "col.ecology_grade": ("生态环境状况", "Grade"),
    "col.ecology_change": ("变化幅度", "Change"),
    "col.ecology_trend": ("变化趋势", "Trend"),
    "note.ecology": (
        ("按 HJ 192-2015：EI = 0.35×生物丰度指数 + 0.25×植被覆盖指数 + 0.15×水网密度指数 + 0.15×(100 − 土地胁迫指数) "
         "+ 0.10×(100 − 污染负荷指数)，环境限制指数为约束性指标，按限制情形降低等级；分级：优 EI ≥ 75，良 55–75，"
         "一般 35–55，较差 20–35，差 < 20；ΔEI 为与上一年度之差，|ΔEI| < 1 无明显变化，1–3 略微变化，3–8 明显变化，"
         "≥ 8 显著变化。"),
        ("HJ 192-2015: EI = 0.35 biological abundance + 0.25 vegetation cover + 0.15 water network density "
         "+ 0.15 (100 − land stress) + 0.10 (100 − pollution load); an environmental restriction lowers the grade; "
         "grades 优 ≥ 75, 良 55–75, 一般 35–55, 较差 20–35, 差 < 20; ΔEI against the year before: |ΔEI| < 1 no obvious "
         "change, 1–3 slight, 3–8 obvious, ≥ 8 significant.")),
    "report.noise.title": ("功能区声环境质量月报", "Monthly functional-zone acoustic environment report"),
    "report.radiation.title": ("环境γ辐射空气吸收剂量率月报", "Monthly ambient gamma dose rate report"),
    "report.table.noise_zones": ("各类功能区声环境质量达标情况", "Compliance by functional zone class"),
    "report.table.noise_stations": ("各功能区监测点位监测结果", "Results by functional-zone station"),
    "report.table.gamma": ("环境γ辐射空气吸收剂量率自动监测结果", "Automatic gamma dose-rate stations"),
    "noise.day": ("昼间", "Day "),
    "noise.night": ("夜间", "Night "),
    "noise.zone": ("{zone}类", "Class {zone}"),
    "col.zone": ("功能区类别", "Zone class"),
    "col.stations": ("点位数", "Stations"),
    "col.total": ("合计", "Total"),
    "col.noise_periods": ("监测点次", "periods assessed"),
    "col.noise_compliant": ("达标点次", "periods compliant"),
    "col.noise_rate": ("达标率", "compliance rate"),
    "col.limit_short": ("限值", "limit"),
    "col.noise_valid_periods": ("有效时段数", "Complete periods"),
    "col.noise_month_verdict": ("本月评价", "Month"),
    "col.gamma_mean": ("月均值", "Monthly mean"),
    "col.gamma_range": ("范围", "Range"),
    "col.gamma_baseline": ("基线均值", "Baseline mean"),
    "col.gamma_sd": ("基线标准差", "Baseline σ"),
    "col.gamma_investigation": ("调查水平", "Investigation level"),
    "col.gamma_above": ("超调查水平小时数", "Hours above it"),
    "col.gamma_background": ("当地天然本底范围", "Local natural background"),
    "col.gamma_verdict": ("评价", "Verdict"),
    "note.noise": (
        ("按 GB 3096-2008 表 1 环境噪声限值评价：昼间 6:00—22:00、夜间 22:00—次日 6:00 的等效连续 A 声级 Leq"
        "（小时 Leq 的能量平均）与所在功能区限值比较；点次为点位的一个昼间或夜间时段。"),
        ("Assessed against GB 3096-2008 Table 1: the day (06-22 h) and night (22-06 h) Leq, the energy mean of the "
        "hourly Leq, against the zone limit; a period is one station's day or night.")),
    "note.noise_points": (
        "仅统计有效小时数不少于 75%（昼间 ≥ 12 h、夜间 ≥ 6 h）的时段（本平台规则，GB 3096 未规定自动站完整性）；本月评价为全部有效时段均达标时“达标”。",
        ("Only periods holding >= 75 % of their hours count (day >= 12 h, night >= 6 h; an ecomon rule, GB 3096 sets "
        "none for automatic stations); the month complies when every counted period does.")),
    "unit.noise": ("声级单位：dB(A)", "Levels in dB(A)"),
    "report.soil.title": ("土壤污染风险评价结果", "Soil pollution risk of the samples"),
    "report.table.soil": ("各点位土壤样品评价结果", "Samples by soil point"),
    "soil.farmland.paddy": ("农用地（水田）", "Farmland (paddy)"),
    "soil.farmland.orchard": ("农用地（果园）", "Farmland (orchard)"),
    "soil.farmland.other": ("农用地（其他）", "Farmland (other)"),
    "soil.land_class": ("建设用地（第{klass}类）", "Construction land (class {klass})"),
    "soil.missing.pH": ("未评价（缺少pH）", "Not assessed (no pH)"),
    "soil.missing.items": ("未评价（无标准所列项目）", "Not assessed (no item of the standard)"),
    "soil.item.CCl4": ("四氯化碳", "carbon tetrachloride"),
    "soil.item.chloroform": ("氯仿", "chloroform"),
    "soil.item.vinyl_chloride": ("氯乙烯", "vinyl chloride"),
    "soil.item.TCE": ("三氯乙烯", "trichloroethylene"),
    "soil.item.benzene": ("苯", "benzene"),
    "soil.item.toluene": ("甲苯", "toluene"),
    "soil.item.ethylbenzene": ("乙苯", "ethylbenzene"),
    "soil.item.naphthalene": ("萘", "naphthalene"),
    "soil.item.BaP": ("苯并[a]芘", "benzo[a]pyrene"),
    "soil.item.BaA": ("苯并[a]蒽", "benz[a]anthracene"),
    "soil.item.DBahA": ("二苯并[a,h]蒽", "dibenz[a,h]anthracene"),
    "soil.item.Cr6": ("六价铬", "Cr(VI)"),
    "col.sampling_date": ("采样日期", "Sampled"),
    "col.land_use": ("用地类型", "Land use"),
    "col.soil_standard": ("评价标准", "Standard"),
    "col.over_screening": ("超筛选值项目（超标倍数）", "Above screening value (multiple)"),
    "col.over_intervention": ("超管制值项目（超标倍数）", "Above intervention value (multiple)"),
    "col.soil_items": ("评价项目数", "Items assessed"),
    "col.soil_verdict": ("评价结果", "Result"),
    "note.soil": (
        ("农用地按 GB 15618-2018 表 1（风险筛选值，按 pH 分档及水田、果园）和表 3（风险管制值）评价，"
        "类别为优先保护类、安全利用类、严格管控类；建设用地按 GB 36600-2018 表 1 第一类或第二类用地的筛选值和管制值评价。"),
        ("Farmland: GB 15618-2018 Table 1 (screening values by pH band, paddy and orchard rows) and Table 3 "
        "(intervention values); construction land: GB 36600-2018 Table 1 for first- or second-class land.")),
    "note.soil_items": (
        "超标倍数 =（实测值 − 标准值）/ 标准值；评价项目数为样品所测项目数 / 所用标准表中的项目数；浓度单位 mg/kg（干重）。",
        "Multiple = (C − value)/value; items assessed = items measured / items of the table applied; mg/kg dry soil."),
    "note.gamma": (
        ("调查水平为点位前 365 天有效小时值的均值 + 3 倍标准差（全国辐射环境自动监测站的通行做法，国家未规定报警阈值）；"
        "超调查水平小时数为本月高于该水平的有效小时值个数。"),
        ("The investigation level is the mean + 3σ of the station's valid hours of the 365 days before (the national "
        "network's practice; no national alarm threshold exists); hours above it are counted in the month.")),
    "note.gamma_background": (
        "评价为月均值与登记的当地天然本底范围比较：“正常”在范围内，“偏高”高于上限，“偏低”低于下限。",
        ("Verdict: the monthly mean against the registered local natural background range (正常 within, 偏高 above, "
        "偏低 below).")),
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """One report string in `lang` with {placeholders} filled."""
    zh, en = STRINGS[key]
    return (en if lang == "en" else zh).format(**values)
