"""Command codes (CN) as data: HJ 212-2017 Table 9 (§6.6.5), HJ 212-2025 Table 12 (§6.7.5) and the HJ/T 212-2005
codes that 2017 removed.

`kind` says which §6.5 interaction pattern a *received* packet of that code starts on the platform:
UPLOAD (field→platform data, answered 9014 when Flag asks), NOTICE_FROM_FIELD (answered 9013), REQUEST (platform→field,
3+ steps), NOTICE_TO_FIELD (platform→field, answered 9013 by the field), REPLY (9011-9014).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ecomon.ingest.hj212.codec.versions import Version

V05, V17, V25 = Version.HJT212_2005, Version.HJ212_2017, Version.HJ212_2025
ALL = frozenset({V05, V17, V25})
SINCE_2017 = frozenset({V17, V25})
ONLY_2005 = frozenset({V05})
ONLY_2025 = frozenset({V25})
UNTIL_2017 = frozenset({V05, V17})


class Kind(Enum):
    UPLOAD = "upload"
    NOTICE_FROM_FIELD = "notice from field"
    REQUEST = "request"
    NOTICE_TO_FIELD = "notice to field"
    REPLY = "reply"


@dataclass(frozen=True, slots=True)
class Command:
    cn: str
    name_zh: str
    name_en: str
    kind: Kind
    versions: frozenset[Version]
    cp_keys: str = ""  # typical CP content, as documentation for integrators


COMMANDS: tuple[Command, ...] = (
    # 1000-1999 initialisation and parameters
    Command("1000", "设置超时时间及重发次数", "set timeout and retries", Kind.REQUEST, ALL, "OverTime;ReCount"),
    Command("1001", "上传数采仪硬件序号", "upload DAQ hardware IDs (2025)", Kind.NOTICE_FROM_FIELD, ONLY_2025,
            "i23005-Info..i23008-Info"),
    Command("1002", "设置数采仪MN编码", "set DAQ MN (2025)", Kind.REQUEST, ONLY_2025, "i23005-Info"),
    Command("1011", "提取现场机时间", "get field time", Kind.REQUEST, ALL, "[PolId] → SystemTime"),
    Command("1012", "设置现场机时间", "set field time", Kind.REQUEST, ALL, "[PolId;]SystemTime"),
    Command("1013", "现场机时间校准请求", "field asks for time calibration", Kind.NOTICE_FROM_FIELD, SINCE_2017,
            "[PolId]"),
    Command("1014", "密钥交换", "secret-key exchange (2025)", Kind.NOTICE_FROM_FIELD, ONLY_2025,
            "SKCreateTime[,NewSK]"),
    Command("1021", "提取污染物报警门限值", "get alarm limits (2005)", Kind.REQUEST, ONLY_2005,
            "xxx-LowValue,xxx-UpValue"),
    Command("1022", "设置污染物报警门限值", "set alarm limits (2005)", Kind.REQUEST, ONLY_2005,
            "xxx-LowValue,xxx-UpValue"),
    Command("1031", "提取上位机地址", "get platform address (2005)", Kind.REQUEST, ONLY_2005, "AlarmTarget"),
    Command("1032", "设置上位机地址", "set platform address (2005)", Kind.REQUEST, ONLY_2005, "AlarmTarget"),
    Command("1041", "提取数据上报时间", "get report time (2005)", Kind.REQUEST, ONLY_2005, "ReportTime"),
    Command("1042", "设置数据上报时间", "set report time (2005)", Kind.REQUEST, ONLY_2005, "ReportTime"),
    Command("1061", "提取实时数据间隔", "get real-time interval", Kind.REQUEST, ALL, "RtdInterval"),
    Command("1062", "设置实时数据间隔", "set real-time interval", Kind.REQUEST, ALL, "RtdInterval"),
    Command("1063", "提取分钟数据间隔", "get minute-data interval", Kind.REQUEST, SINCE_2017, "MinInterval"),
    Command("1064", "设置分钟数据间隔", "set minute-data interval", Kind.REQUEST, SINCE_2017, "MinInterval"),
    Command("1072", "设置现场机访问密码", "set access password", Kind.REQUEST, ALL, "NewPW"),
    # 2000-2999 data
    Command("2011", "实时数据", "real-time data", Kind.UPLOAD, ALL, "DataTime;xxx-Rtd,xxx-Flag"),
    Command("2012", "停止察看实时数据", "stop real-time data", Kind.NOTICE_TO_FIELD, ALL),
    Command("2013", "原始监测数据", "raw monitoring data (2025)", Kind.UPLOAD, ONLY_2025,
            "DataTime;xxx-SampleTime,xxx-CompleteTime,xxx-SampleType,xxx-Avg,xxx-Flag"),
    Command("2021", "设备运行状态数据", "facility status", Kind.UPLOAD, ALL, "DataTime;SBx-RS"),
    Command("2022", "停止察看设备运行状态", "stop facility status", Kind.NOTICE_TO_FIELD, ALL),
    Command("2031", "日数据", "daily data", Kind.UPLOAD, ALL, "DataTime;xxx-Cou,xxx-Min,xxx-Avg,xxx-Max,xxx-Flag"),
    Command("2041", "设备运行时间日历史数据", "daily facility run time", Kind.UPLOAD, ALL, "DataTime;SBx-RT"),
    Command("2051", "分钟数据", "minute data", Kind.UPLOAD, ALL, "DataTime;xxx-Cou,xxx-Min,xxx-Avg,xxx-Max,xxx-Flag"),
    Command("2052", "噪声单次测量数据", "single noise measurement (2025)", Kind.UPLOAD, ONLY_2025, "DataTime;xxx-Data"),
    Command("2061", "小时数据", "hourly data", Kind.UPLOAD, ALL, "DataTime;xxx-Cou,xxx-Min,xxx-Avg,xxx-Max,xxx-Flag"),
    Command("2062", "自动标样核查数据", "automatic standard-sample check (2025)", Kind.UPLOAD, ONLY_2025,
            "DataTime;xxx-SampleRd,xxx-StandardValue,xxx-ResultType"),
    Command("2071", "污染物报警记录", "alarm records (2005)", Kind.UPLOAD, ONLY_2005, "xxx-Ala;AlarmTime"),
    Command("2072", "报警事件", "alarm event (2005)", Kind.UPLOAD, ONLY_2005, "AlarmTime;AlarmType"),
    Command("2081", "数采仪开机时间", "DAQ boot time", Kind.UPLOAD, SINCE_2017, "DataTime;RestartTime"),
    Command("2111", "炉膛温度5分钟均值", "furnace temperature 5-min mean (2025)", Kind.UPLOAD, ONLY_2025,
            "DataTime;a01901-Avg"),
    # 3000-3999 control
    Command("3011", "零点/量程校准", "zero/span calibration", Kind.REQUEST, ALL, "PolId[,CalibrationType]"),
    Command("3012", "即时采样", "immediate sampling", Kind.REQUEST, ALL, "PolId"),
    Command("3013", "启动清洗/反吹", "start cleaning/blowback", Kind.REQUEST, ALL, "PolId"),
    Command("3014", "比对采样 (2005: 设置采样时间周期)", "comparison sampling (2005: set sampling period)",
            Kind.REQUEST, UNTIL_2017, "PolId"),
    Command("3015", "超标留样", "over-limit sample retention", Kind.REQUEST, frozenset({V17}), "DataTime;VaseNo"),
    Command("3016", "设置采样时间周期", "set sampling period", Kind.REQUEST, frozenset({V17}),
            "PolId;CstartTime;CTime"),
    Command("3017", "提取采样时间周期", "get sampling period", Kind.REQUEST, frozenset({V17}), "PolId"),
    Command("3018", "提取出样时间", "get sample-output time", Kind.REQUEST, SINCE_2017, "PolId → Stime"),
    Command("3019", "提取设备唯一标识", "get/upload instrument ID", Kind.UPLOAD, SINCE_2017, "PolId → xxx-SN"),
    Command("3020", "现场机信息", "field-unit information", Kind.UPLOAD, SINCE_2017,
            "DataTime;PolId;iXXXXX-Info"),
    Command("3021", "设置现场机参数", "set field-unit parameter", Kind.REQUEST, SINCE_2017, "PolId;InfoId;iXXXXX-Info"),
    Command("3022", "即时留样", "immediate sample retention (2025)", Kind.REQUEST, ONLY_2025, "PolId"),
    Command("3024", "启动自动标样核查", "start standard-sample check (2025)", Kind.REQUEST, ONLY_2025, "PolId"),
    # 9000-9999 interaction
    Command("9011", "请求应答", "request acknowledgement", Kind.REPLY, ALL, "QnRtn"),
    Command("9012", "执行结果", "execution result", Kind.REPLY, ALL, "ExeRtn"),
    Command("9013", "通知应答", "notice acknowledgement", Kind.REPLY, ALL),
    Command("9014", "数据应答", "data acknowledgement", Kind.REPLY, ALL),
    Command("9015", "心跳", "heartbeat (2025)", Kind.NOTICE_FROM_FIELD, ONLY_2025),
)

BY_CN: dict[str, Command] = {c.cn: c for c in COMMANDS}

# HJ 212-2025 §6.4.4: CP is encrypted for field→host data commands (2000-2999), key exchange (1014) and
# field-unit information (3020).
ENCRYPTED_2025_EXTRA = frozenset({"1014", "3020"})

# HJ 212-2017 Table 7 (QnRtn) and Table 6 (ExeRtn).
QN_RTN = {"1": "准备执行请求", "2": "请求被拒绝", "3": "PW错误", "4": "MN错误", "5": "ST错误", "6": "Flag错误",
          "7": "QN错误", "8": "CN错误", "9": "CRC校验错误", "100": "未知错误"}
EXE_RTN = {"1": "执行成功", "2": "执行失败，但不知道原因", "3": "命令请求条件错误", "4": "通讯超时", "5": "系统繁忙",
           "6": "系统故障", "100": "没有数据"}


def must_encrypt(version: Version, cn: str, cp: dict[str, str]) -> bool:
    """Whether HJ 212-2025 §6.4.4 asks for this CP to be encrypted.

    Our reading: only packets that carry data do; a platform's retrieval request (`BeginTime`…) and an empty
    CP stay plain. An empty CP would be unchanged by encryption anyway.
    """
    data_command = len(cn) == 4 and "2000" <= cn <= "2999"
    return (version is Version.HJ212_2025 and (data_command or cn in ENCRYPTED_2025_EXTRA) and bool(cp)
            and "BeginTime" not in cp)
