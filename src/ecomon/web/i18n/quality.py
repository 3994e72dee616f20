"""Strings of QC, review, sign-off, alarms and audit pages: (Chinese, English)."""

_QC_FLAGS = {"1": ("通过", "Good"), "2": ("未评估", "Not evaluated"), "3": ("可疑", "Suspect"), "4": ("无效", "Fail"),
             "9": ("缺测", "Missing")}
_REVIEW_STATES = {"0": ("初步数据", "Preliminary"), "1": ("已一审", "Reviewed"), "2": ("已二审", "Audited"),
                  "3": ("已发布", "Released")}
_TESTS = {"gross_range": ("量程检查", "Gross range"), "spike": ("尖峰检查", "Spike"),
          "rate_of_change": ("变化率检查", "Rate of change"), "flat_line": ("恒值检查", "Flat line"),
          "time_gap": ("时间间隔检查", "Time gap"), "device": ("仪器状态标记", "Device flag"),
          "pair": ("参数一致性", "Parameter consistency")}
_ACTIONS = {"accept": ("审核通过", "Accept"), "invalidate": ("判为无效", "Invalidate"), "correct": ("修正", "Correct"),
            "sign": ("电子签发", "Sign off"), "reopen": ("撤销签发", "Reopen")}
_REFUSALS = {"forbidden_role": ("当前角色无权执行此操作", "Your role may not do this"),
             "period_signed": ("该时段已签发，需先撤销签发", "The period is signed; reopen it first"),
             "not_reviewed": ("尚有数据未完成上一级审核", "Some values are not reviewed at the level below"),
             "four_eyes": ("上一级须由他人签发", "The level below must be signed by someone else"),
             "already_signed": ("该月已在此级别签发", "Already signed at this level")}
_ALARM_STATUS = {"open": ("待处理", "Open"), "confirmed": ("已确认", "Confirmed"), "dismissed": ("已排除", "Dismissed")}
_CHANNELS = {"in_person": ("当面", "In person"), "phone": ("电话", "Phone"), "message": ("短信/即时消息", "Message"),
             "document": ("书面", "Document"), "other": ("其他", "Other")}

STRINGS: dict[str, tuple[str, str]] = {
    **{f"quality.flag.{k}": v for k, v in _QC_FLAGS.items()},
    **{f"quality.review_state.{k}": v for k, v in _REVIEW_STATES.items()},
    **{f"quality.test.{k}": v for k, v in _TESTS.items()},
    **{f"quality.action.{k}": v for k, v in _ACTIONS.items()},
    **{f"quality.refusal.{k}": v for k, v in _REFUSALS.items()},
    **{f"quality.alarm_status.{k}": v for k, v in _ALARM_STATUS.items()},
    **{f"quality.channel.{k}": v for k, v in _CHANNELS.items()},
    "quality.review.title": ("数据审核", "Data review"),
    "quality.review.reason": ("原因", "Reason"),
    "quality.review.preliminary_note": ("初步数据，未经审核", "Preliminary data, not yet reviewed"),
    "quality.signoff.title": ("电子签发", "Electronic sign-off"),
    "quality.signoff.signature": ("签名摘要", "Signature (SHA-256)"),
    "quality.interference.title": ("干预留痕", "Interference records"),
    "quality.interference.requester": ("干预人", "Requested by"),
    "quality.interference.request": ("干预内容", "Request"),
    "quality.interference.response": ("处理情况", "Response"),
    "quality.interference.permanent": ("记录提交后不可修改或删除", "Records cannot be changed or deleted once filed"),
    "quality.alarms.title": ("异常告警", "Alarms"),
    "quality.alarms.evidence": ("证据", "Evidence"),
    "quality.alarms.confirm": ("确认", "Confirm"),
    "quality.alarms.dismiss": ("排除", "Dismiss"),
    "quality.audit.title": ("审计日志", "Audit log"),
    "quality.audit.intact": ("审计链完整", "Audit chain intact"),
    "quality.audit.broken": ("审计链被篡改", "Audit chain broken"),
}
