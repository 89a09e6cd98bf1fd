"""Every Chinese text the bot says, named by intent."""

ERROR = "抱歉，系统刚才处理您的消息时出了点问题，已记录。请稍后再试，或联系党委办公室。"
LATER = "已收到您的消息。系统正在维护，稍后处理并回复您，无需重复发送。"
WELCOME = ("欢迎关注「同心」医共体服务号！\n"
           "如果您是成员单位的医务人员，请发送「绑定 邀请码」完成身份绑定，之后直接发文字即可反映诉求。\n"
           "发送「帮助」查看可用功能。")
WELCOME_BACK = "欢迎回来，{name}！发送「帮助」查看可用功能。"
UNSUPPORTED = "已收到。目前只能处理文字和语音消息，请用文字描述您的问题。"

BIND_USAGE = "请发送「绑定 邀请码」，例如：绑定 AB23CD45。邀请码由党委办公室提供。"
BIND_OK = {
    "member": "绑定成功！您已登记为【{unit}】的成员。今后直接发送文字即可反映诉求，发送「帮助」查看更多功能。",
    "secretary": "绑定成功！您已登记为【{branch}】{title}。新任务会通过本服务号通知您，发送「帮助」查看命令。",
    "office": "绑定成功！您已登记为{office}工作人员。发送「帮助」查看命令。",
    "admin": "绑定成功！您已登记为系统管理员。发送「帮助」查看命令。",
}
BIND_ERRORS = {
    "unknown": "邀请码「{code}」不存在，请核对后重发（不区分大小写）。",
    "expired": "邀请码「{code}」已过期，请向党委办公室索取新的邀请码。",
    "used": "邀请码「{code}」已被使用，每个个人邀请码只能绑定一次。请向党委办公室索取新的邀请码。",
    "revoked": "邀请码「{code}」已作废，请向党委办公室索取新的邀请码。",
    "throttled": "抱歉，一小时内输错邀请码的次数过多，为保护账号安全，请 {minutes} 分钟后再试。"
                 "如需帮助，请联系党委办公室。",
}
BIND_PENDING_SUBMITTED = "您绑定前发送的 {count} 条消息已一并提交，合并为一条诉求："
UNBIND_OK = "已解除绑定。如需重新绑定，请发送「绑定 邀请码」。"
UNBIND_NOT_BOUND = "您尚未绑定身份，无需解绑。"
NAME_OK = "好的，已将您的姓名登记为「{name}」。"
NAME_USAGE = "请发送「姓名 张三」登记您的姓名，便于支部书记联系您。"
UNBOUND_STORED = ("您的消息已保存，但您尚未绑定身份，暂时无法提交诉求。\n"
                  "请发送「绑定 邀请码」完成绑定（邀请码由党委办公室或所在单位提供），绑定后将自动提交您刚才的内容。")

HELP_HEADER = "「同心」可以为您做这些：\n"
HELP = {
    None: ("· 绑定 邀请码 —— 绑定身份（邀请码由党委办公室提供）\n"
           "· 帮助 —— 查看本说明"),
    "member": ("· 直接发送文字或语音 —— 反映诉求，系统自动分派到对口党支部\n"
               "· 我的诉求 —— 查看您的诉求和进度\n"
               "· 进度 T-编号 —— 查看一条诉求的处理过程\n"
               "· 补充 T-编号 内容 —— 补充说明\n"
               "· 撤回 T-编号 —— 撤回尚未办结的诉求\n"
               "· 评价 T-编号 1-5 意见 —— 为办结结果打分\n"
               "· 姓名 张三 —— 登记姓名\n"
               "· 解绑 —— 解除身份绑定"),
    "secretary": ("· 任务 —— 本支部待办任务（最早的在前）\n"
                  "· 详情 T-编号 —— 查看任务详情\n"
                  "· 接单 T-编号 —— 接收任务\n"
                  "· 转办 T-编号 支部 原因 —— 转给其他支部（如：转办 T-2026-0001 眼科 属眼科业务）\n"
                  "· 退回 T-编号 原因 —— 退回党委办公室\n"
                  "· 办结 T-编号 处理说明 —— 办结并告知反映人\n"
                  "· 活动 —— 登记结对活动（如：义诊 2026-12-05 白沙村卫生室 接诊120）；结对 —— 四个一进度\n"
                  "· 姓名 张三 —— 登记姓名\n"
                  "· 解绑 —— 解除身份绑定"),
    "office": ("· 待分派 —— 未能自动分派的诉求\n"
               "· 分派 T-编号 支部 —— 分派给支部（如：分派 T-2026-0001 眼科）\n"
               "· 统计 —— 各支部办理情况\n"
               "· 四个一 —— 结对共建完成情况；需求 T-编号 [支部] —— 列入结对需求清单\n"
               "· 详情 T-编号 —— 查看任务详情\n"
               "· 姓名 张三 —— 登记姓名\n"
               "· 解绑 —— 解除身份绑定"),
}
HELP["admin"] = HELP["office"]
UNKNOWN_COMMAND = "没有看懂「{text}」。\n"

# --- tasks ---------------------------------------------------------------
REQUEST_ROUTED = ("已收到您的诉求，编号 {number}。\n已转{branch}办理，支部书记接单后会通知您。\n"
                  "发送「进度 {number}」查看进度，「补充 {number} 内容」补充说明。")
REQUEST_TRIAGE = ("已收到您的诉求，编号 {number}。\n已转{office}分派，分派后会通知您。\n"
                  "发送「进度 {number}」查看进度，「补充 {number} 内容」补充说明。")
ATTACHED = "已将{kind}附加到您的诉求 {number}。"
ATTACH_NO_TASK = "收到您的{kind} 😊 如需反映问题，请用一两句话写明遇到的情况，系统会分派给对口党支部。"
SMALL_TALK = "您好！请直接用一两句话描述您遇到的问题（如：产科胎心监护仪不会用），系统会分派给对口党支部。发送「帮助」查看更多功能。"
THANKS_ACK = "不客气，有需要随时找我们 😊"
GREETING = "您好！有什么需要帮忙的，直接用一两句话告诉我们即可，系统会转给对口党支部。"
BURST_APPENDED = "已补充到 {number}（{owner}），承办人会看到您的完整描述。"
SAME_MATTER_ASK = ("您的诉求 {number} 已由{owner}接单处理。这条消息是同一件事吗？\n"
                   "回复 1 补充到 {number}，回复 2 作为新诉求")
SAME_MATTER_GONE = "刚才那条消息已无法补充到 {number}（状态：{status}），已作为新诉求提交：\n"
MY_REQUESTS_EMPTY = "您还没有提交过诉求。直接发送文字描述问题即可。"
MY_REQUESTS_HEADER = "您最近的诉求："
SUPPLEMENT_OK = "已将补充内容转给 {number} 的承办人。"
WITHDRAW_OK = "已撤回诉求 {number}。"
RATE_OK = "感谢评价！{number} 得分 {score} 分。"
RATE_USAGE = "请发送「评价 T-编号 1-5 意见」，例如：评价 T-2026-0001 5 很及时。"
BRANCH_TASKS_EMPTY = "{branch}目前没有待办任务。"
BRANCH_TASKS_HEADER = "{branch}待办任务（最早的在前）："
ACCEPT_OK = "已接单 {number}，已通知反映人。办结后请发送「办结 {number} 处理说明」。"
TRANSFER_OK = "已将 {number} 转给{branch}，已通知对方支部。"
RETURN_OK = "已将 {number} 退回{office}。"
RESOLVE_OK = "已办结 {number}，处理说明已发给反映人并邀请评价。"
ASSIGN_OK = "已将 {number} 分派给{branch}。"
TRIAGE_EMPTY = "目前没有待分派的诉求。"
TRIAGE_HEADER = "待分派诉求："
TRIAGE_SUGGEST = "（对口支部：{branches}）"
STATS_HEADER = "本月各支部办理情况："
STATS_LINE = "· {name}：未结 {open}，超期 {overdue}，本月办结 {resolved}，平均评价 {rating}"
TASK_ERRORS = {
    "number_missing": "请在命令后写上任务编号，例如：{example} T-2026-0001。",
    "not_found": "没有找到编号为 {number} 的任务，请核对编号（发送「{list_cmd}」查看）。",
    "not_yours": "{number} 目前由{branch}承办，只有该支部书记或副书记可以操作。",
    "bad_state": "{number} 当前状态为「{status}」，不能执行这个操作。",
    "conflict": "{number} 已被{who}处理（当前状态：{status}），您的操作未执行。",
    "branch_missing": "请写明支部，例如：转办 T-2026-0001 眼科 原因。可用支部：{branches}。",
    "unknown_branch": "没有名为「{name}」的支部。可用支部：{branches}。",
    "reason_missing": "请写明原因，例如：{example} {number} 属于其他支部业务。",
    "note_missing": "办结需要填写处理说明，例如：办结 {number} 已派专家现场指导。任务未做改动。",
    "text_missing": "请写上补充内容，例如：补充 {number} 设备型号是 XX。",
    "same_branch": "任务已在{branch}，无需转办。",
    "bad_score": "评分请用 1-5 的数字。",
}

# --- monthly reports (月报), 未报送 / 催报 / 通知 (handlers/reports.py) ----------------
REPORT_FIELDS = (("activities", "结对活动", "次"), ("clinics", "义诊", "次"), ("clinic_people", "义诊服务", "人次"),
                 ("trainings", "培训", "场"), ("lectures", "讲座", "场"), ("problems", "帮扶解决问题", "个"))
REPORT_EXAMPLE = "结对活动3次，义诊2次服务126人次，培训4场，讲座1场，解决问题5个，其他：……"  # units as REPORT_FIELDS
REPORT_GUIDE = ("请填写{branch}{period}工作月报（截止{deadline}）。\n请直接回复一条消息写明各项数字，例如：\n"
                + REPORT_EXAMPLE + "\n没有开展的项目可以不写（记为 0），中文数字也可以。")
REPORT_NOT_UNDERSTOOD = "没有从您的消息中识别出月报数字。请按这样的格式发送：\n" + REPORT_EXAMPLE
REPORT_ECHO = "请核对{branch}{period}工作月报：\n{lines}\n{late}回复「确认」报送；如需修改，直接重新发送完整内容。"
REPORT_LATE_NOTE = "（已过截止时间{deadline}，报送后将记为逾期）\n"
REPORT_FILED = "已报送{branch}{period}工作月报{late}，谢谢！发送「月报 {code}」可随时查看。"
REPORT_LATE_MARK = "（逾期报送）"
REPORT_SHOW_LATE = "，逾期"  # inside REPORT_SHOW's brackets: no brackets within brackets
REPORT_NO_DRAFT = "没有待确认的月报。发送「月报」开始填报。"
REPORT_SHOW = "{branch}{period}工作月报（{filed_at} {who}报送{late}）：\n{lines}"
REPORT_SHOW_TEXT = "\n原文：{text}"
REPORT_NOT_FILED = "{branch}尚未报送{period}工作月报。发送「月报」开始填报。"
REPORT_FUTURE = "{period}还没到，不能提前报送。发送「月报」填报当前月份。"
REPORT_MISSING = "{period}工作月报未报送的支部（截止{deadline}，共{count}个）：\n{lines}\n发送「催报」一键提醒。"
REPORT_MISSING_NONE = "{period}工作月报已全部报送。"
NOTICE_USAGE = ("请发送「通知 时间 内容」，例如：通知 2026-12-30 14:30 全体支部书记会议。\n"
                "可在时间前写通知对象：书记（默认）、全体、成员单位、结对、党办。系统立即通知，并在 3 天前、1 小时前提醒。")
NOTICE_PAST = "时间 {when} 已经过去，请写将来的时间。"
NOTICE_OK = "已发布通知：{title}（{when}），已通知{audience} {count} 人。{reminders}"
NOTICE_REMINDERS = "将于 {times} 再次提醒。"
NOTICE_AUDIENCES = {"书记": "secretaries", "支部书记": "secretaries", "全体": "everyone", "成员单位": "members",
                    "结对": "paired", "党办": "office"}
NOTICE_AUDIENCE_NAMES = {"secretaries": "各支部书记", "everyone": "全体已绑定人员", "members": "成员单位人员",
                         "paired": "结对支部和成员单位", "office": "党委办公室"}
HELP["secretary"] += "\n· 月报 —— 填报本月工作月报（也可直接发「月报 内容」）\n· 月报 2026-11 —— 查看已报送的月报"
HELP["office"] += ("\n· 未报送 —— 本期未报送月报的支部\n· 催报 —— 提醒未报送的支部（每天最多一次）"
                   "\n· 通知 时间 内容 —— 发布会议/活动通知并按时提醒")
HELP["admin"] = HELP["office"]

# --- menus: buttons and commands a role may not use (handlers/menu.py) ------------------
BIND_GUIDE = ("绑定身份后才能使用「同心」的各项功能：\n"
              "1. 向党委办公室（或所在单位）索取邀请码；\n"
              "2. 发送「绑定 邀请码」，例如：绑定 AB23CD45；\n"
              "3. 绑定后几分钟内菜单会变成您的专属菜单，在此之前可直接发送文字或「帮助」。")
BIND_GUIDE_BOUND = ("您已绑定为{who}。如需更换身份，请先发送「解绑」，再发送「绑定 新邀请码」。\n"
                    "新菜单可能要几分钟后才出现，期间可直接发送文字或「帮助」。")
REPORT_INVITE = ("请直接发送一两句文字或语音，说明您遇到的问题，例如：\n"
                 "「我们卫生院的B超坏了，能不能派人来修一下」\n"
                 "系统会生成诉求编号并转给对口党支部，接单和办结时都会通知您。")
ROLE_NAMES = {"member": "成员单位已绑定的医务人员", "secretary": "支部书记和副书记", "office": "党委办公室工作人员",
              "admin": "系统管理员"}
WHO_BOUND = {"member": "成员单位人员", "secretary": "支部书记", "office": "党委办公室工作人员", "admin": "系统管理员"}
COMMAND_PURPOSE = {
    "我要反映": "向医共体反映您遇到的问题", "我的诉求": "查看您反映过的诉求和进度", "进度": "查看一条诉求的处理过程",
    "补充": "为您的诉求补充说明", "撤回": "撤回尚未办结的诉求", "评价": "为办结的诉求打分",
    "任务": "查看本支部的待办任务", "待办": "查看本支部的待办任务", "接单": "接收分派给本支部的任务",
    "转办": "把任务转给其他支部", "退回": "把任务退回党委办公室", "办结": "办结任务并告知反映人",
    "月报": "填报或查看支部工作月报", "活动": "登记结对共建活动", "确认": "确认报送月报或活动登记",
    "取消": "取消正在填写的活动登记", "详情": "查看任务详情", "结对": "查看结对共建「四个一」进度",
    "四个一": "查看结对共建「四个一」进度", "待分派": "查看未能自动分派的诉求", "分派": "把诉求分派给支部",
    "统计": "查看各支部本月办理情况", "未报送": "查看本期未报送月报的支部", "催报": "提醒未报送月报的支部",
    "通知": "发布会议或活动通知", "需求": "把诉求列入结对需求清单",
}
NOT_FOR_ROLE = "「{word}」用于{purpose}，仅{who}可以使用。\n"
NOT_FOR_ROLE_UNBOUND = "您尚未绑定身份：请发送「绑定 邀请码」（邀请码由党委办公室提供）。"
NOT_FOR_ROLE_BOUND = "发送「帮助」查看您可以使用的功能。"
STALE_BUTTON = "这个菜单按钮已经更新，请稍后重新打开菜单，或发送「帮助」查看可用功能。\n"
VOICE_UNRECOGNIZED = "抱歉，没有听清这条语音。请再说一遍，或直接发送文字。"
EVENT_HELP = "您好！"
