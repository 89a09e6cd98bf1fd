"""Chinese texts of organisational life (组织生活) in WeChat: roster binding, meetings, 签到, 请假, 纪要."""

MEETING_EXAMPLE = "会议 支委会 12月18日 15:00 三楼会议室 学习十二月中心组材料"
RECORD_EXAMPLE = "补录 支委会 12月3日 15:00 三楼会议室 学习材料 到：张三、李四 请假：王五"
KINDS_HINT = "会议类型：{kinds}。"

PM_BIND_NEED_NAME = "这是{branch}的党员绑定码。请发送「绑定 {code} 您的姓名」，例如：绑定 {code} 张三。"
PM_BIND_OK = ("绑定成功！您已登记为【{branch}】党员{name}。会议通知会发到这里；会前30分钟至会后2小时发送「签到」，"
              "不能参加发送「请假 原因」，「会议」查看本支部会议。")
PM_BIND_ERRORS = {
    "unknown": "{branch}党员名册中没有「{name}」。请核对姓名（与名册一致）或联系支部书记，本次未绑定。",
    "ambiguous": "{branch}党员名册中有多位党员的姓名包含「{name}」，请发送完整姓名，本次未绑定。",
    "taken": "{branch}党员名册中的「{name}」已由其他微信绑定。如有疑问请联系支部书记，本次未绑定。",
}

MEETING_SCHEDULED = ("已安排 {number}：{branch}{kind}{group}\n时间：{when}\n地点：{place}\n内容：{title}\n"
                     "应到 {expected} 人，已通知 {notified} 人（其余尚未绑定微信）。\n"
                     "会后发送「纪要 内容」记录，并可随后发送照片；「取消会议 {number}」取消。")
MEETING_RECORDED = ("已补录 {number}：{kind} {when}（标记为补录）\n应到 {expected} 人，实到 {present} 人，"
                    "请假 {leave} 人，缺席 {absent} 人。可发送「纪要 {number} 内容」补充纪要，随后发送照片。")
MEETING_CANCELLED = "已取消 {number}（{kind} {when}），已通知 {notified} 人。"
MINUTES_OK = "已记入 {number}（{kind} {when}）的纪要，共 {chars} 字。可继续发送「纪要 …」补充；现在发送照片将附在该会议上。"
PHOTO_OK = "照片已附在 {number}（{kind} {when}）上，共 {count} 张。系统会尽快下载保存。"
SIGNED_IN = "签到成功：{kind}（{when}，{place}），签到时间 {time}。"
LEAVE_OK = "已为您登记请假：{kind}（{when}），原因：{reason}。"
NOT_PARTY_MEMBER = "您还没有绑定党员身份。请向支部书记索取党员绑定码，发送「绑定 绑定码 姓名」。"
MEETINGS_EMPTY = "{branch}近期没有会议记录。书记可发送「{example}」安排会议。"
MEETINGS_HEADER = "{branch}近期会议："
MEETING_LINE = "· {number} {when} {kind}{group} {place}：应到{expected} 实到{present} 请假{leave}{flags}"
KIND_LINE_HINT = ("要登记会议，请发送「会议 …」安排（会前）或「补录 …」补记（会后），例如：\n{example}\n{record}")

MEETING_ERRORS = {
    "no_kind": "请写明会议类型和时间，例如：{example}\n{kinds}",
    "bad_kind": "没有「{word}」这种会议。{kinds}例如：{example}",
    "no_date": "请写明{kind}的日期，例如：{example}",
    "bad_date": "日期「{token}」不存在，请核对，例如：{example}",
    "no_time": "请写明{kind}的开始时间（如 15:00），例如：{example}",
    "bad_time": "时间「{token}」不正确，请写成 15:00 这样的形式，例如：{example}",
    "no_group": "党小组会请写明是哪个党小组（{groups}），例如：会议 党小组会 第一党小组 12月18日 15:00 会议室",
    "past": "这次{kind}的时间已经过去。会后补记请用「补录」，例如：{record}",
    "too_far": "会议时间太远了（一年以后），请核对日期。",
    "future_record": "「补录」用于已召开的会议；{kind}尚未召开，请用「会议 …」安排，例如：{example}",
    "no_attendance": "补录请写明到会人员，例如：{record}",
    "unknown_names": "名册（应到人员）中没有：{names}。请核对姓名后重发，本次未登记。",
    "not_found": "没有找到会议 {number}（或不是本支部的会议）。发送「会议」查看本支部会议。",
    "joint_not_found": "没有找到联席会议 {number}。发送「会议」查看联席会议及其编号。",
    "already_cancelled": "{number} 已经取消过了。",
    "cannot_cancel": "{number} 已经召开（或是补录的会议），不能取消。",
    "no_meeting_for_minutes": "本支部还没有已开始的会议。请先用「会议 …」安排或「补录 …」补记，再发送纪要。",
    "minutes_usage": "请在「纪要」后写上内容，例如：纪要 传达学习了十二月中心组材料，讨论了年度工作计划。",
    "leave_usage": "请写明请假原因，例如：请假 值夜班。",
    "no_meeting": "您近期没有需要参加的会议，无需请假。",
    "other_branch": "这是其他支部的会议，您不能签到或请假。",
    "not_expected": "您不在{kind}（{when}）的应到名单中。如有疑问请联系支部书记。",
    "cancelled": "{kind}（{when}）已取消。",
    "closed": "{kind}（{when}）的签到时间是会前30分钟至会后2小时，现在不在签到时间内。{next}",
    "no_open": "现在没有可以签到的会议（会前30分钟至会后2小时可签到）。{next}",
    "already": "您已于 {time} 签到过{kind}（{when}），无需重复签到。",
    "no_joint_for_minutes": "还没有已开始的联席会议。请先安排联席会议（会议 联席会议 …），会后再发送纪要。",
    "bad_status": "参会状态不正确。",
}
NEXT_MEETING = "您的下一次会议：{kind} {when}，{place}。"
NO_NEXT_MEETING = "您近期没有安排的会议。"

HELP_PARTY_MEMBER = ("\n党员：\n· 签到 —— 会前30分钟至会后2小时签到（也可扫会议二维码）\n"
                     "· 请假 原因 —— 为下一次会议请假\n· 会议 —— 本支部近期会议")
HELP_SECRETARY = ("\n组织生活：\n· 会议 支委会 12月18日 15:00 地点 主题 —— 安排会议并通知应到党员\n"
                  "· 纪要 内容 —— 记录会议纪要（可多条），随后发照片附在会议上\n"
                  "· 取消会议 M-编号 —— 取消并通知\n· 补录 … 到：张三、李四 请假：王五 —— 补记已开的会议\n"
                  "· 会议 —— 本支部近期会议；组织生活 —— 本支部本月/本季度完成情况")
HELP_OFFICE = "\n组织生活：\n· 未开展 —— 三会一课未达最低次数的支部\n· 组织生活 —— 各支部本期完成情况"
BEHIND_HEADER = "{period}三会一课未达要求的支部（{count}个）："
BEHIND_NONE = "{period}各支部三会一课均已达到最低要求。"
BEHIND_LINE = "· {branch}：{missing}"
PAIRING_PLAN_HINT = "{year}年度各结对单位的计划进度请发送「结对」查看"
STATUS_HEADER = "{branch}组织生活完成情况："
STATUS_LINE = "· {kind}（{period}）：已开 {held} / 要求 {required} {mark}"
