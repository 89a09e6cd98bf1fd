"""Activity records in WeChat: parsing, precise errors naming the field, 确认, photos, 月报 pre-fill."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.org import Person
from models.pairing import Activity, ActivityPhoto
from handlers import texts
from models.report import MonthlyReport
from services.pairing import activities

SH = ZoneInfo("Asia/Shanghai")
PUBLIC = "demo-sec-public_health"   # paired with 白沙村卫生室 (BSC), 柳树乡卫生院, 城南社区
EYE = "demo-sec-eye_ent"
LINE = "义诊 2026-12-05 白沙村卫生室 接诊120 血压80 心电图30 资料200"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def recorded(session_factory) -> list[Activity]:
    with session_factory() as s:
        return list(s.scalars(select(Activity).order_by(Activity.id)))


@pytest.fixture
def secretary(app, demo, session_factory):
    """A plain function: parse a line as the public-health secretary on 2026-12-06."""
    def parse(text: str, now: datetime = at(2026, 12, 6, 10, 0)) -> activities.ParsedActivity:
        with session_factory() as s:
            person = s.scalar(select(Person).where(Person.openid == PUBLIC))
            return activities.parse_line(s, person, text, now=now, tz=SH)
    return parse


def test_one_line_is_parsed_into_type_date_unit_and_counts(secretary):
    parsed = secretary(LINE)
    assert (parsed.kind, parsed.held_on, parsed.unit) == ("clinic", date(2026, 12, 5), "白沙村卫生室")
    assert parsed.counts == {"people": 120, "bp": 80, "ecg": 30, "leaflets": 200}
    assert parsed.pairing_id is not None
    short = secretary("讲座 12月1日 白沙村 高血压防治 参加45人")
    assert (short.kind, short.held_on, short.counts, short.note) == ("lecture", date(2026, 12, 1),
                                                                    {"attendees": 45}, "高血压防治")
    assert secretary("联合党日 昨天 BSC").held_on == date(2026, 12, 5)
    assert secretary("需求调查 今天 柳树乡卫生院").kind == "survey"


BAD_LINES = [
    ("义诊 2026-12-05 青云村卫生室 接诊120", "unknown_unit", "单位"),
    ("义诊 2026-12-05 清河镇卫生院 接诊10", "unknown_unit", "单位"),  # a unit of the other consortium
    ("义诊 2026-12-20 白沙村卫生室 接诊120", "future_date", "日期"),
    ("义诊 2026-02-30 白沙村卫生室", "bad_date", "日期"),
    ("义诊 2026-12-05 白沙村卫生室 接诊很多", "bad_count", "接诊"),
    ("义诊 2026-12-05 白沙村卫生室 血压八十", "bad_count", "血压"),
    ("义诊 白沙村卫生室 接诊120", "no_date", "日期"),
    ("义诊 2026-12-05 接诊120", "no_unit", "单位"),
    ("聚餐 2026-12-05 白沙村卫生室", "bad_kind", "类型"),
]


def test_bad_input_names_the_field(secretary):
    for line, code, field in BAD_LINES:
        with pytest.raises(activities.ActivityError) as exc:
            secretary(line)
        assert (exc.value.code, exc.value.field) == (code, field), line


def test_bad_line_in_wechat_answers_precisely_and_records_nothing(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 6, 10, 0)
    reply = wechat.send("义诊 2026-12-25 白沙村卫生室 接诊120", user=PUBLIC)
    assert "【日期】2026-12-25 晚于今天7天以上" in reply
    reply = wechat.send("义诊 2026-12-05 白沙村卫生室 接诊一百二", user=PUBLIC)
    assert "【接诊】后应为数字" in reply and "一百二" in reply
    assert wechat.send("确认", user=PUBLIC) == texts.REPORT_NO_DRAFT  # no draft was left to confirm
    assert recorded(session_factory) == []


def test_clinic_is_echoed_confirmed_recorded_and_photo_attached(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 6, 10, 0)
    echo = wechat.send(LINE, user=PUBLIC)
    assert "类型：义诊" in echo and "2026年12月5日" in echo and "白沙村卫生室（结对单位）" in echo
    assert "接诊 120 人次；血压 80 人；心电图 30 人；资料 200 份" in echo and "确认" in echo
    assert recorded(session_factory) == []  # nothing before 确认
    done = wechat.send("确认", user=PUBLIC)
    assert "已记录：12月5日 义诊（白沙村卫生室）" in done and "办实事✔" in done and "联合党日✘" in done
    [activity] = recorded(session_factory)
    assert activity.counts["people"] == 120 and activity.pairing_id is not None
    photo = wechat.image(user=PUBLIC)
    assert f"A{activity.id}" in photo and "共 1 张" in photo
    clock.now = at(2026, 12, 6, 11, 0)  # later than 30 minutes: no longer "right after"
    assert "只能处理文字" in wechat.image(user=PUBLIC)
    with session_factory() as s:
        assert len(s.scalars(select(ActivityPhoto)).all()) == 1


def test_guided_activity_and_photo_before_confirm(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 6, 10, 0)
    guide = wechat.send("活动", user=PUBLIC)
    assert "白沙村卫生室" in guide and "义诊 2026-12-05" in guide
    echo = wechat.send("培训 12-03 城南社区卫生服务中心 参加30 慢病管理", user=PUBLIC)
    assert "类型：培训" in echo and "备注：慢病管理" in echo
    assert "确认后将附在" in wechat.image(user=PUBLIC)
    wechat.send("确认", user=PUBLIC)
    with session_factory() as s:
        [activity] = s.scalars(select(Activity)).all()
        assert activity.kind == "training" and len(s.scalars(select(ActivityPhoto)).all()) == 1
    assert "没有待确认" in wechat.send("取消", user=PUBLIC)


def test_confirm_files_the_most_recent_draft(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 20, 10, 0)
    wechat.send(LINE, user=PUBLIC)                       # activity draft first
    clock.now = at(2026, 12, 20, 10, 1)
    wechat.send("月报 结对活动2次，培训1场", user=PUBLIC)   # then a report draft: 确认 files the report
    assert "已报送" in wechat.send("确认", user=PUBLIC)
    assert recorded(session_factory) == []
    clock.now = at(2026, 12, 20, 10, 2)
    wechat.send("月报 结对活动3次", user=PUBLIC)
    clock.now = at(2026, 12, 20, 10, 3)
    wechat.send(LINE, user=PUBLIC)                       # the activity draft is now the newest
    assert "已记录" in wechat.send("确认", user=PUBLIC)
    assert len(recorded(session_factory)) == 1


def test_monthly_report_is_prefilled_from_activities(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 6, 10, 0)
    wechat.send(LINE, user=PUBLIC)
    wechat.send("确认", user=PUBLIC)
    wechat.send("讲座 12-06 柳树乡卫生院 参加40", user=PUBLIC)
    wechat.send("确认", user=PUBLIC)
    clock.now = at(2026, 12, 20, 10, 0)
    draft = wechat.send("月报", user=PUBLIC)
    assert "预填月报" in draft and "12月5日 义诊 白沙村卫生室" in draft
    assert "· 义诊：1 次" in draft and "· 义诊服务：120 人次" in draft and "确认" in draft
    assert "已报送" in wechat.send("确认", user=PUBLIC)
    with session_factory() as s:
        report = s.scalar(select(MonthlyReport))
        assert report.counts == {"activities": 2, "clinics": 1, "clinic_people": 120, "lectures": 1}
    assert "预填" not in wechat.send("月报", user=EYE)  # nothing recorded: the usual guide
