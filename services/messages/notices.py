"""Chinese texts of outbound notifications (written to the outbox by services)."""

TASK_NEW = ("【新任务】{number}\n单位：{unit}\n反映人：{requester}\n内容：{text}\n分派依据：{why}\n"
            "回复「接单 {number}」接收；「转办 {number} 支部 原因」转给其他支部；"
            "「退回 {number} 原因」退回{office}；「办结 {number} 处理说明」办结。")
TASK_TRIAGE = ("【待分派】{number}\n单位：{unit}\n反映人：{requester}\n内容：{text}\n"
               "系统未能确定对口支部。回复「分派 {number} 支部」分派（如：分派 {number} 眼科）。")
TASK_TRANSFERRED_IN = "（由{from_branch}转来，原因：{reason}）\n"
TASK_RETURNED = "【退回】{number} 被{branch}退回{office}，原因：{reason}。回复「分派 {number} 支部」重新分派。"
TASK_SUPPLEMENT = "【补充说明】{number}\n{requester}补充：{text}"
TASK_REROUTED_AWAY = "【已改派】{number} 经反映人补充说明后已改由{owner}办理，您无需处理。"
TASK_WITHDRAWN = "【已撤回】{number} 已由反映人撤回，无需继续办理。"
REQUESTER_ACCEPTED = "您的诉求 {number} 已由{branch}接单（{who}），正在处理。"
REQUESTER_ROUTED = "您的诉求 {number} 已转由{branch}办理。"
REQUESTER_RESOLVED = ("您的诉求 {number} 已办结。\n{branch}处理说明：{note}\n"
                      "请为处理结果打分：直接回复 1-5 的数字，或发送「评价 {number} 5 意见」。")
RATING_REMINDER = "您的诉求 {number} 已办结 3 天，还没有收到您的评价。回复「评价 {number} 1-5 意见」即可。"
LOW_RATING = "【低分提醒】{number}（{branch}）获得 {score} 分评价：{comment}"
ACCEPT_REMINDER = "【待接单提醒】{number} 已等待 {hours} 个工作小时未接单，请尽快回复「接单 {number}」。"
ACCEPT_ESCALATED = "【超时未接单】{number}（{branch}）已 {hours} 个工作小时无人接单，请{office}协调。"
OVERDUE_OFFICE = "【超期未办结】{number}（{branch}）已超过 {days} 个工作日未办结。"
OVERDUE_BRANCH = "【超期提醒】{number} 已超过 {days} 个工作日未办结，请尽快办理。"
