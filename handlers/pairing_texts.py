"""Chinese replies of pairing work (结对共建): activities, 四个一, needs lists."""

ACTIVITY_GUIDE = ("请发送一行活动记录（类型 日期 单位 数量），例如：\n"
                  "义诊 2026-12-05 白沙村卫生室 接诊120 血压80 心电图30 资料200\n"
                  "类型：义诊、讲座、培训、业务交流、联合党日、需求调查、办实事、其他\n"
                  "数量（可选）：接诊、血压、血糖、心电图、B超、资料、参加\n"
                  "本支部结对单位：{units}\n发送「取消」放弃。")
ACTIVITY_ECHO = ("请核对{branch}活动记录：\n类型：{kind}\n日期：{date}\n单位：{unit}{paired}\n{counts}{note}"
                 "回复「确认」记录；发送更正后的整行可重新识别；「取消」放弃。")
ACTIVITY_PAIRED = "（结对单位）"
ACTIVITY_NOT_PAIRED = "（非本支部结对单位，不计入四个一）"
ACTIVITY_COUNTS = "数量：{counts}\n"
ACTIVITY_NOTE = "备注：{note}\n"
ACTIVITY_RECORDED = ("已记录：{date} {kind}（{unit}），编号 A{id}。\n{four}"
                     "如有现场照片，请在 30 分钟内直接发送，将附在这条记录上。")
ACTIVITY_FOUR = "{unit}今年四个一：{status}\n"
ACTIVITY_CANCELLED = "已取消未确认的活动记录。"
ACTIVITY_NOTHING_TO_CANCEL = "没有待确认的活动记录。"
PHOTO_TO_DRAFT = "已收到照片，确认后将附在这条活动记录上。"
PHOTO_ATTACHED = "已将照片附在活动记录 A{id}（{kind}，{unit}）上，共 {count} 张。"
ACTIVITY_ERRORS = {
    "bad_kind": "【类型】没有识别「{value}」。请以活动类型开头：义诊、讲座、培训、业务交流、联合党日、需求调查、办实事、其他。",
    "no_date": "【日期】缺少活动日期，请写上如 2026-12-05、12月5日 或 今天。未记录任何内容。",
    "bad_date": "【日期】「{value}」不是有效日期，请写成 2026-12-05。未记录任何内容。",
    "future_date": "【日期】{value} 晚于今天{days}天以上，请核对日期（只能登记已举行或一周内的活动）。未记录任何内容。",
    "old_date": "【日期】{value} 早于一年前，请核对日期。未记录任何内容。",
    "unknown_unit": "【单位】「{value}」不是本医共体的成员单位，请核对单位名称。未记录任何内容。",
    "no_unit": "【单位】请写明活动单位。本支部结对单位：{paired}。未记录任何内容。",
    "bad_count": "【{field}】后应为数字（如 {field}80），收到「{value}」。未记录任何内容。",
}
PAIRINGS_HEADER = "{branch}{year}年结对共建（四个一）："
PAIRINGS_EMPTY = "{branch}目前没有结对单位。"
PAIRING_LINE = "· {unit}：{status}{needs}"
PAIRING_AGREEMENT = "\n  责任书：{signed}至{ends}{duties}"
PAIRING_PLAN = "\n  {year}年度计划：{progress}"
PAIRING_NEEDS = "；需求清单 {count} 项待办"
PAIRINGS_FOOTER = "（✔已完成 ✘未完成；发送「活动」登记活动）"
MATRIX_HEADER = "{year}年结对共建四个一：{complete}/{total} 对全部完成（{rate}%）\n办实事 {deed}，业务交流 {exchange}，联合党日 {party_day}，需求调查 {survey}"
MATRIX_MISSING = "未完成的结对："
MATRIX_MORE = "……另有 {count} 对未完成，详见工作台「结对共建」。"
MATRIX_EMPTY = "本医共体还没有结对关系。"
NEED_USAGE = "请发送「需求 T-编号 [支部]」，把成员单位的诉求列入结对支部的需求清单。"
NEED_OK = "已将 {number} 列入{branch}与{unit}的需求清单。"
NEED_ERRORS = {"not_found": "没有找到诉求 {number}。", "no_unit": "{number} 不是成员单位提交的诉求，不能列入需求清单。",
               "not_paired": "{unit}没有结对支部，不能列入需求清单。",
               "branch_not_paired": "{branch}与{unit}没有结对关系。",
               "unknown_branch": "没有找到支部「{name}」。"}
PREFILL_NOTE = "已根据本月登记的结对活动和为结对单位办结的诉求预填月报：\n{lines}\n\n"
