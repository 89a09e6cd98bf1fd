"""Chinese texts of the meeting notices written to the outbox (services.meetings)."""

MEETING_NOTICE = ("【会议通知】{branch}{kind}\n时间：{when}\n地点：{place}\n内容：{title}\n编号：{number}\n"
                  "请准时参加，会前30分钟至会后2小时内发送「签到」；不能参加请发送「请假 原因」。")
MEETING_CANCELLED = "【会议取消】{branch}原定{when}在{place}召开的{kind}（{number}）已取消。"
