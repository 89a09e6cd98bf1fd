"""Chinese replies of the joint-meeting follow-up (督办事项, 议题)."""

ITEM_FORM = "督办 责任支部或单位 完成日期 事项内容\n例：督办 后勤党支部 2027-01-15 为白沙镇卫生院检修B超机"
ITEM_CREATED = ("已立督办事项 {number}\n责任：{owner}\n完成时限：{due}\n事项：{title}\n来源：{meeting}\n"
                "已通知{notified}人。")
NO_MEETING = "（无联席会议记录）"
ITEM_PROGRESS = "已记录 {number} 的进展。"
ITEM_DONE = "{number} 已报完成，等待{office}确认。"
ITEM_CONFIRMED = "{number} 已确认办结。"
ITEM_REOPENED = "{number} 已重开，已通知{owner}。"
ITEM_LINKED = "{number} 已关联诉求 {task}（{status}）。"
ITEMS_HEADER = "督办事项（{count}项，超期在前）："
ITEM_LINE = "{number} {owner} {due} {status}：{title}"
ITEMS_EMPTY = "暂无督办事项。"
STATUS_WORDS = {"open": "办理中", "overdue": "已超期", "done": "已完成待确认", "confirmed": "已确认",
                "reopened": "已重开"}

ERRORS = {
    "usage": "请按格式发送：\n" + ITEM_FORM,
    "no_owner": "未找到责任支部或单位「{word}」。请按格式发送：\n" + ITEM_FORM,
    "no_due": "请写明完成日期（如 2027-01-15）。请按格式发送：\n" + ITEM_FORM,
    "past_due": "完成日期 {due} 已过，请填写今天以后的日期。\n" + ITEM_FORM,
    "no_title": "请写明督办事项内容。请按格式发送：\n" + ITEM_FORM,
    "not_found": "未找到督办事项 {number}。",
    "not_owner": "{number} 的责任方是{owner}，只有责任方可以报告进展或完成。",
    "progress_usage": "请写明进展内容，如：进展 {number} 已联系厂家，下周上门检修",
    "done_usage": "请写明完成说明，如：完成 {number} 已完成检修并试机正常",
    "reopen_usage": "请写明重开原因，如：重开 {number} 设备仍有故障",
    "closed": "{number} 已报完成，如需继续办理请由党办重开。",
    "not_done": "{number} 尚未报完成，不能确认。",
    "still_open": "{number} 仍在办理中，无需重开。",
    "no_task": "未找到诉求 {task}。格式：关联 D-2026-0001 T-2026-0001",
    "agenda_empty": "议程内容为空。",
    "topic_not_contact": "只有成员单位联络人可以提交联席会议议题，请联系党办在后台设置联络人。",
    "topic_usage": "请写明议题内容，如：议题 申请上级医院派驻妇产科医生",
    "topic_no_meeting": "暂无待召开的联席会议，议题请在会议通知发出后提交。",
}

JOINT_SCHEDULED = ("已安排{kind} {number}\n时间：{when}\n地点：{place}\n内容：{title}\n"
                   "已通知{notified}人（党办、各支部书记、成员单位联络人）。议程草稿见后台「联席会议」页。")
JOINT_EXAMPLE = "会议 联席会议 12月28日 14:00 三楼会议室 第四季度联席会议"
JOINT_CANCELLED = "已取消 {number}（{kind} {when}），已通知 {notified} 人。"
JOINT_CANCEL_USAGE = "请写明要取消的联席会议编号，例如：取消会议 M-2026-0001（发送「会议」查看编号）。"
JOINT_EMPTY = "暂无联席会议。安排会议：" + JOINT_EXAMPLE
JOINT_HEADER = "联席会议："
JOINT_LINE = "{number} {when} {place} {title}（应到{expected}人，已签到{present}人，请假{leave}人{minutes}）"
JOINT_SIGNED = "签到成功：{kind} {number}（{when}，{place}），签到时间 {time}。"
JOINT_LEAVE = "已为您登记请假：{kind} {number}（{when}），原因：{reason}。"
JOINT_MINUTES = ("已记入 {number}（{kind} {when}）的纪要，共 {chars} 字。可继续发送「纪要 …」补充；"
                 "现在发送照片将附在该会议上。议定事项请用「督办 …」立项。")
TOPIC_ADDED = "已将议题提交至联席会议 {number}（{when}），党办将列入议程。"

HELP_OFFICE = ("\n【督办】督办 支部或单位 日期 事项：立项；督办：查看清单；确认 D-编号；重开 D-编号 原因；"
               "关联 D-编号 T-编号；"
               "会议 联席会议 日期 时间 地点 主题：安排联席会议；取消会议 M-编号；纪要 内容：记入刚开的联席会议，随后发照片")
HELP_OWNER = "\n【督办】督办：本单位事项；进展 D-编号 内容；完成 D-编号 说明；议题 内容：提交联席会议议题"
