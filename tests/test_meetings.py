"""Organisational life through the signed webhook: roster binding, 会议 with notices, 请假, 签到 window,
纪要 and photos, 取消会议, 补录, bad input answers, the CLI JSON contracts, reminders that skip branches."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import cli
from models.outbox import OutboxMessage
from models.party import Attendance, Meeting, PartyMember, PhotoFetch
from services.meetings import roster
from services.shared.spreadsheets import Column, write_workbook

SH = ZoneInfo("Asia/Shanghai")
SEC = "demo-sec-maternal"      # 妇儿党支部书记 (demo name 赵书记)
OTHER_SEC = "demo-sec-eye_ent"
LINE = "会议 支委会 12月18日 15:00 三楼会议室 学习十二月中心组材料"
ROSTER = [["妇儿党支部", "赵书记", "正式党员", "书记", "第一党小组", ""],
          ["妇儿", "钱委员", "正式党员", "委员", "第一党小组", "13800000001"],
          ["妇儿党支部", "孙委员", "正式党员", "委员", "第二党小组", ""],
          ["妇儿党支部", "李党员", "正式党员", "党员", "第一党小组", ""],
          ["妇儿党支部", "周预备", "预备党员", "党员", "第二党小组", ""],
          ["五官科党支部", "吴医生", "正式党员", "委员", "", ""]]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def xlsx(path, rows, headers=roster.HEADERS):
    write_workbook(path, [("党员名册", [Column(h, 10) for h in headers], rows)])
    return path


def invoke(settings, *args):
    env = {"DATABASE_URL": settings.database_url, "TONGXIN_VAR_DIR": str(settings.var_dir)}
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture
def party(app, demo, settings, clock, tmp_path, wechat):
    """The 妇儿 roster imported; 钱委员 (pm-qian), 孙委员 (pm-sun) and the secretary bound by name."""
    clock.now = at(2026, 12, 16, 10, 0)
    result = invoke(settings, "roster", "import", "--consortium", "linxi", "--file", str(xlsx(tmp_path / "r.xlsx", ROSTER)))
    assert result.exit_code == 0, result.output
    code = roster_code(app, "maternal", clock.now)
    assert "绑定成功" in wechat.send(f"绑定 {code} 钱委员", user="pm-qian")
    assert "绑定成功" in wechat.send(f"绑定 {code} 孙委员", user="pm-sun")
    assert "绑定成功" in wechat.send(f"绑定 {code} 赵书记", user=SEC)
    return code


def roster_code(app, branch_code: str, now: datetime) -> str:
    """A branch's party-member code (`invite create --role party_member`, issued at the test clock)."""
    from services.org import structure as org
    from services.org import people
    with app.extensions["tongxin"].session_factory() as s:
        cons = org.consortium_by_code(s, "linxi")
        invite = people.create_invite(s, role="party_member", consortium=cons, now=now, ttl_days=7,
                                      branch=org.branch_by_code(s, cons.id, branch_code))
        s.commit()
        return invite.code


def test_invite_create_party_member_json(app, settings):
    data = json.loads(invoke(settings, "invite", "create", "--role", "party_member", "--branch", "maternal",
                             "--json").stdout)
    assert data["role"] == "party_member" and data["branch"] == "maternal" and data["multi_use"] is True
    bad = invoke(settings, "invite", "create", "--role", "party_member", "--json")
    assert bad.exit_code != 0 and "--branch" in bad.output


def outbox_to(session_factory, openid):
    with session_factory() as s:
        return [m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.to_openid == openid)
                                          .order_by(OutboxMessage.id))]


def test_roster_import_is_idempotent_and_lists_json(party, settings, tmp_path):
    again = invoke(settings, "roster", "import", "--file", str(xlsx(tmp_path / "r2.xlsx", ROSTER)))
    assert json.loads(again.stdout) == {"consortium": "linxi", "rows": 6, "created": 0, "updated": 0}
    rows = json.loads(invoke(settings, "roster", "list", "--branch", "maternal", "--json").stdout)
    assert [r["name"] for r in rows] == ["赵书记", "钱委员", "孙委员", "李党员", "周预备"]
    assert set(rows[0]) == {"id", "name", "branch", "status", "duty", "group", "bound"}
    assert rows[4]["status"] == "probationary" and rows[1]["bound"] is True and rows[3]["bound"] is False


@pytest.mark.pg
def test_roster_bad_row_names_its_number_and_writes_nothing(app, demo, settings, tmp_path, session_factory):
    bad = ROSTER[:2] + [["妇儿党支部", "王五", "积极分子", "党员", "", ""], ["火星支部", "赵六", "", "", "", ""]]
    result = invoke(settings, "roster", "import", "--file", str(xlsx(tmp_path / "bad.xlsx", bad)))
    assert result.exit_code != 0
    assert "第 4 行" in result.output and "积极分子" in result.output and "第 5 行" in result.output
    assert "火星支部" in result.output
    with session_factory() as s:
        assert s.scalars(select(PartyMember)).all() == []
    template = tmp_path / "t.xlsx"
    assert invoke(settings, "roster", "template", "--out", str(template)).exit_code == 0
    assert invoke(settings, "roster", "import", "--file", str(template)).exit_code == 0


def test_binding_unknown_or_partial_name_is_refused(party, wechat, session_factory):
    assert "没有「王小二」" in wechat.send(f"绑定 {party} 王小二", user="pm-x")
    assert "完整姓名" in wechat.send(f"绑定 {party} 委员", user="pm-x")
    assert "已由其他微信绑定" in wechat.send(f"绑定 {party} 钱委员", user="pm-x")
    assert "绑定 " in wechat.send(f"绑定 {party}", user="pm-x")
    with session_factory() as s:
        assert s.scalar(select(PartyMember).where(PartyMember.name == "李党员")).person_id is None
    assert "签到" in wechat.send("帮助", user="pm-qian")
    help_sec = wechat.send("帮助", user=SEC)
    assert "接单" in help_sec and "纪要" in help_sec and "签到" in help_sec


@pytest.mark.pg
def test_done_when_transcript(party, wechat, clock, settings, session_factory, tmp_path):
    """Schedule a 支委会, notices, leave, sign-ins, minutes and a photo, the matrix, the reminder skips it."""
    reply = wechat.send(LINE, user=SEC)
    assert "M-2026-0001" in reply and "应到 3 人" in reply and "已通知 3 人" in reply
    notice = outbox_to(session_factory, "pm-qian")[-1]
    assert "12月18日 15:00" in notice and "三楼会议室" in notice
    assert "请假 原因" in notice
    assert "已为您登记请假" in wechat.send("请假 值夜班", user="pm-sun")
    assert "不在签到时间内" in wechat.send("签到", user="pm-qian") or "没有可以签到" in wechat.send("签到", user="pm-qian")
    clock.now = at(2026, 12, 18, 14, 40)
    assert "签到成功" in wechat.send("签到", user="pm-qian")
    assert "无需重复签到" in wechat.send("签到", user="pm-qian")
    assert "签到成功" in wechat.send("签到", user=SEC)
    clock.now = at(2026, 12, 18, 16, 30)
    assert "共 " in wechat.send("纪要 传达学习十二月中心组材料，讨论年度计划", user=SEC)
    wechat.send("纪要 确定下月主题党日内容", user=SEC)
    photo = wechat.post_xml(wechat.xml(SEC, "image", PicUrl="http://127.0.0.1/p.jpg", MediaId="photo-1",
                                       MsgId=987001)).content
    assert "照片已附在 M-2026-0001" in photo
    shown = json.loads(invoke(settings, "meetings", "show", "M-2026-0001", "--json").stdout)
    assert (shown["expected"], shown["present"], shown["leave"], shown["absent"]) == (3, 2, 1, 0)
    assert shown["minutes"] is True and shown["photos"] == 1 and shown["late_recorded"] is False
    assert {a["name"]: a["status"] for a in shown["attendees"]} == {"赵书记": "present", "钱委员": "present",
                                                                   "孙委员": "leave"}
    listed = json.loads(invoke(settings, "meetings", "list", "--branch", "maternal", "--month", "2026-12",
                               "--json").stdout)
    assert [m["id"] for m in listed] == ["M-2026-0001"]
    assert set(listed[0]) >= {"id", "kind", "title", "starts_at", "place", "expected", "present", "leave",
                              "absent", "minutes", "photos", "late_recorded"}
    from services.meetings import matrix
    with session_factory() as s:
        kind = settings.meetings.kind("committee")
        rows = matrix.matrix(s, shown_consortium(s), 2026, kind, SH, until=clock.now)
        maternal = next(r for r in rows if r.code == "maternal")
        assert maternal.cells[11] == (1, 1, False) and maternal.rate == 1.0
        assert photo_fetch_status(s) == ["pending"]
    fired = invoke(settings, "schedule", "fire", "branch_committee", "--at", "2026-12-08T09:00+08:00")
    assert json.loads(fired.stdout)["queued"] >= 1
    assert not any("支委会" in t and "尚未" in t for t in outbox_to(session_factory, SEC))
    other = [t for t in outbox_to(session_factory, OTHER_SEC) if "三会一课" in t]
    assert other and "本月支委会尚未召开" in other[0]


def shown_consortium(s):
    from models.org import Consortium
    return s.scalar(select(Consortium.id).where(Consortium.code == "linxi"))


def photo_fetch_status(s):
    return [f.status for f in s.scalars(select(PhotoFetch))]


BAD_LINES = [("会议 支委会 12月18日 三楼会议室", "开始时间"), ("会议 茶话会 12月18日 15:00 会议室", "没有「茶话会」"),
             ("会议 支委会 15:00 会议室", "日期"), ("会议 支委会 2026-02-30 15:00", "不存在"),
             ("会议 党小组会 12月18日 15:00 会议室", "哪个党小组"), ("会议 支委会 12月1日 15:00", "补录")]


def test_bad_meeting_lines_get_an_example_and_create_nothing(party, wechat, session_factory):
    for line, expected in BAD_LINES:
        reply = wechat.send(line, user=SEC)
        assert expected in reply, (line, reply)
    assert "会议 支委会 12月18日 15:00" in wechat.send("会议 支委会 三楼", user=SEC)
    assert "补录" in wechat.send("支委会 2026-12-03 参加7", user=SEC)
    with session_factory() as s:
        assert s.scalars(select(Meeting)).all() == []


@pytest.mark.pg
def test_sign_in_window_other_branch_and_scan(party, app, wechat, clock, session_factory, settings):
    assert "近期没有安排" in wechat.send("签到", user="pm-qian")
    wechat.send(LINE, user=SEC)
    reply = wechat.send("签到", user="pm-qian")
    assert "12月18日 15:00" in reply  # says when the next meeting is
    clock.now = at(2026, 12, 18, 17, 1)
    assert "不在签到时间内" in wechat.send("签到", user="pm-qian") or "没有可以签到" in wechat.send("签到", user="pm-qian")
    clock.now = at(2026, 12, 18, 16, 59)
    code = roster_code(app, "eye_ent", clock.now)
    assert "绑定成功" in wechat.send(f"绑定 {code} 吴医生", user="pm-wu")
    scan = wechat.event("SCAN", user="pm-wu", key="meeting_1").content
    assert "其他支部" in scan
    assert "签到成功" in wechat.event("subscribe", user="pm-sun", key="qrscene_meeting_1").content
    with session_factory() as s:
        row = s.scalar(select(Attendance).where(Attendance.via == "scan"))
        assert row.member.name == "孙委员" and row.status == "present"


def test_cancel_notifies_and_late_record_is_flagged(party, wechat, clock, settings, session_factory):
    wechat.send(LINE, user=SEC)
    assert "已取消 M-2026-0001" in wechat.send("取消会议 M-2026-0001", user=SEC)
    assert "会议取消" in outbox_to(session_factory, "pm-qian")[-1]
    assert "取消过了" in wechat.send("取消会议 M-2026-0001", user=SEC)
    assert "没有找到" in wechat.send("取消会议 M-2026-0001", user=OTHER_SEC)
    assert "名册" in wechat.send("补录 支委会 12月3日 15:00 会议室 学习 到：赵书记、张飞", user=SEC)
    reply = wechat.send("补录 支委会 12月3日 15:00 会议室 学习 到：赵书记、钱委员 请假：孙委员", user=SEC)
    assert "已补录 M-2026-0002" in reply and "实到 2 人" in reply and "请假 1 人" in reply
    listed = json.loads(invoke(settings, "meetings", "list", "--json").stdout)
    assert [(m["id"], m["late_recorded"]) for m in listed] == [("M-2026-0002", True), ("M-2026-0001", False)]
    assert "M-2026-0002" in wechat.send("会议", user="pm-qian")
    assert "已取消" in wechat.send("会议", user=SEC)


def test_office_sees_branches_behind(party, wechat, clock):
    wechat.send("补录 支委会 12月3日 15:00 会议室 学习 到：赵书记、钱委员", user=SEC)
    reply = wechat.send("未开展", user="demo-office-linxi")
    lines = {line.split("：")[0]: line for line in reply.splitlines()}
    assert "本月支委会尚未召开" in lines["· 五官科党支部"]
    assert "支委会" not in lines["· 妇儿党支部"] and "本月党小组会尚未召开" in lines["· 妇儿党支部"]
    status = wechat.send("组织生活", user=SEC)
    assert "支委会（本月）：已开 1 / 要求 1 ✔" in status


def test_meetings_config_mistakes_name_the_key(tmp_path):
    from core.config import ConfigError, load_settings
    from tests.conftest import config_yaml
    env = {"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": "sqlite://"}
    section = config_yaml()["meetings"]
    for change, key in ((lambda k: k[1].update(every="weekly"), "meetings.kinds[1].every"),
                        (lambda k: k[2].update(remind=["report_reminder"]), "meetings.kinds[2].remind"),
                        (lambda k: k[3].update(minimum=-1), "meetings.kinds[3].minimum"),
                        (lambda k: k[4].update(name="支委会"), "meetings.kinds[4].aliases")):
        kinds = [dict(k) for k in section["kinds"]]
        change(kinds)
        with pytest.raises(ConfigError) as info:
            load_settings(environ=env, overrides={"meetings": {**section, "kinds": kinds}})
        assert info.value.key == key
    settings = load_settings(environ=env)
    assert settings.meetings.kind("committee").every == "month"
    assert [k.code for k in settings.meetings.reminded_by("general_assembly")] == ["assembly", "lecture"]


def test_monthly_report_is_prefilled_with_meetings_and_attendance(party, wechat, clock):
    wechat.send("补录 支委会 12月3日 15:00 会议室 学习 到：赵书记、钱委员 请假：孙委员", user=SEC)
    reply = wechat.send("月报", user=SEC)
    assert reply.startswith("组织生活：支委会1次，出勤率100%（实到2/应到2）")
    clock.now = at(2026, 12, 16, 11, 0)
    wechat.send("义诊 2026-12-05 石桥村卫生室 接诊20", user=SEC)
    wechat.send("确认", user=SEC)
    filled = wechat.send("月报", user=SEC)
    assert "组织生活：支委会1次，出勤率100%（实到2/应到2）" in filled
    assert "义诊服务：20 人次" in filled  # the meeting counts are not read as people served
