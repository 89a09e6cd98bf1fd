"""Chinese texts of 督办 notifications (written to the outbox)."""

ITEM_ASSIGNED = ("【督办事项】{number}\n{office}交办{owner}：{title}\n完成时限：{due}{meeting}\n"
                 "回复「进展 {number} 内容」报告进展，完成后回复「完成 {number} 说明」。")
ITEM_FROM_MEETING = "\n来源：{meeting}"
ITEM_DONE_OFFICE = "【督办完成待确认】{number}（{owner}）：{title}\n说明：{note}\n回复「确认 {number}」或「重开 {number} 原因」。"
ITEM_PROGRESS_OFFICE = "【督办进展】{number}（{owner}）：{text}"
ITEM_CONFIRMED = "【督办已确认】{number}：{title} 已确认办结。"
ITEM_REOPENED = "【督办重开】{number}：{title} 被重新打开，原因：{reason}。请继续办理，完成后回复「完成 {number} 说明」。"
JOINT_DUE_SOON = "【督办提醒】{number}：{title} 将于 {due} 到期，请抓紧办理，完成后回复「完成 {number} 说明」。"
JOINT_OVERDUE_OWNER = "【督办超期】{number}：{title} 已超过完成时限 {due}，请尽快办理并回复「进展 {number} 内容」。"
JOINT_OVERDUE_OFFICE = "【督办超期】{number}（{owner}）：{title} 已超过完成时限 {due}。"
