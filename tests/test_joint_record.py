"""The 联席会议's own record and the year's follow-through: invitees sign in or ask leave, the office minutes it
with photos, the agenda is kept as sent; per-pairing plan targets in the 结对 reply; the secretary edits the
year-end 述职 draft in WeChat."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.joint import JointAttendance, YearPlan
from models.org import Branch
from models.party import Meeting, MeetingPhoto
from services.shared.spreadsheets import Column, write_workbook
from tests.test_activities import LINE, PUBLIC
from tests.test_joint import console_login, invoke, units  # noqa: F401 (fixture)
from tests.test_joint_agenda import BSZ, LOGISTICS, OFFICE, QSZ, SCHEDULE, at, outbox_to
from tests.test_joint_plan import GOOD, HEADERS
from tests.test_meetings import SEC, party  # noqa: F401 (fixture)


def attendance_of(session_factory, number: str) -> dict[str, str]:
    with session_factory() as s:
        rows = s.scalars(select(JointAttendance).where(JointAttendance.meeting_id == int(number.rsplit("-", 1)[1])))
        return {r.person.openid: r.status for r in rows}


@pytest.mark.pg
def test_invitees_sign_in_or_ask_leave_and_the_office_minutes_it(app, wechat, units, session_factory, clock):
    number = wechat.send(SCHEDULE, user=OFFICE).split("已安排联席会议 ")[1].split()[0]
    listed = attendance_of(session_factory, number)
    assert {OFFICE, LOGISTICS, BSZ, QSZ} <= set(listed) and set(listed.values()) == {"expected"}
    assert "demo-member-LHC" not in listed  # not a unit contact: not invited
    # leave before the day, for this meeting (not a branch meeting: BSZ is on no roster)
    reply = wechat.send("请假 下乡巡诊", user=QSZ)
    assert f"已为您登记请假：联席会议 {number}" in reply and "下乡巡诊" in reply
    assert "现在没有可以签到的会议" in wechat.send("签到", user=BSZ)  # two days early: not open
    clock.now = at(2026, 12, 18, 13, 45)
    assert f"签到成功：联席会议 {number}" in wechat.send("签到", user=BSZ)
    assert "无需重复签到" in wechat.send("签到", user=BSZ)
    scan = wechat.event("SCAN", user=LOGISTICS, key=f"meeting_{int(number.rsplit('-', 1)[1])}").content
    assert f"签到成功：联席会议 {number}" in scan
    with session_factory() as s:
        assert s.scalar(select(JointAttendance.via).where(JointAttendance.person.has(openid=LOGISTICS))) == "scan"
    assert "签到成功" not in wechat.send("签到", user="demo-member-LHC")  # not invited (nor on a roster)
    assert attendance_of(session_factory, number) == {**listed, BSZ: "present", LOGISTICS: "present",
                                                            QSZ: "leave"}
    assert "已签到2人，请假1人" in wechat.send("会议", user=OFFICE)
    # minutes and a photo from the office go on the 联席会议
    clock.now = at(2026, 12, 18, 16, 0)
    assert "请在「纪要」后写上内容" in wechat.send("纪要", user=OFFICE)
    reply = wechat.send("纪要 听取白沙镇卫生院设备困难，议定由后勤党支部检修B超机", user=OFFICE)
    assert f"已记入 {number}" in reply and "督办" in reply
    assert f"照片已附在 {number}" in wechat.image(user=OFFICE)
    with session_factory() as s:
        meeting = s.get(Meeting, int(number.rsplit("-", 1)[1]))
        assert "检修B超机" in meeting.minutes
        assert s.scalar(select(MeetingPhoto.id).where(MeetingPhoto.meeting_id == meeting.id)) is not None
    # the console shows who came, the minutes and photos
    office, _ = console_login(app, session_factory, "office", "office", clock.now)
    page = office.get(f"/admin/joint-meetings?m={number.rsplit('-', 1)[1].lstrip('0')}").get_data(as_text=True)
    assert "已签到" in page and "下乡巡诊" in page and "检修B超机" in page and "照片 1" in page


def test_a_party_member_without_a_joint_meeting_still_signs_in_to_the_branch_meeting(wechat, party, clock):  # noqa: F811
    wechat.send("会议 支委会 12月18日 15:00 三楼会议室 学习", user=SEC)
    clock.now = at(2026, 12, 18, 14, 40)
    assert "签到成功：支委会" in wechat.send("签到", user="pm-qian")
    assert "已为您登记请假：支委会" in wechat.send("请假 值夜班", user="pm-sun")


def test_the_console_keeps_the_agenda_as_sent_and_marks_attendance(app, wechat, units, session_factory, clock):
    number = wechat.send(SCHEDULE, user=OFFICE).split("已安排联席会议 ")[1].split()[0]
    meeting_id = int(number.rsplit("-", 1)[1])
    office, token = console_login(app, session_factory, "office", "office", clock.now)
    office.post(f"/admin/joint-meetings/{meeting_id}/agenda",
                data={"agenda": "一、<b>设备</b>检修\r\n二、人员培训", "csrf_token": token})
    with session_factory() as s:
        meeting = s.get(Meeting, meeting_id)
        assert meeting.agenda == "一、<b>设备</b>检修\n二、人员培训" and meeting.agenda_sent_at is not None
        bsz = s.scalar(select(JointAttendance).join(JointAttendance.person)
                       .where(JointAttendance.meeting_id == meeting_id).where(JointAttendance.person.has(openid=BSZ)))
    page = office.get(f"/admin/joint-meetings?m={meeting_id}").get_data(as_text=True)
    assert "已发送的议程" in page and "&lt;b&gt;设备&lt;/b&gt;检修" in page
    viewer, vtoken = console_login(app, session_factory, "viewer", "viewer", clock.now)
    url = f"/admin/joint-meetings/{meeting_id}/attendance"
    assert viewer.post(url, data={"person": bsz.person_id, "status": "present", "csrf_token": vtoken}) \
        .status_code == 403
    assert office.post(url, data={"person": bsz.person_id, "status": "present"}).status_code == 400  # no CSRF
    assert office.post(url, data={"person": bsz.person_id, "status": "present", "csrf_token": token}) \
        .status_code == 302
    assert attendance_of(session_factory, number)[BSZ] == "present"
    assert office.post(url, data={"person": 999999, "status": "present", "csrf_token": token}).status_code == 302
    assert office.post(f"/admin/joint-meetings/{meeting_id + 999}/attendance",
                       data={"person": bsz.person_id, "status": "present", "csrf_token": token}).status_code == 404
    # cancelling: a write role with CSRF; everyone listed is told; the meeting leaves the list
    assert viewer.post(f"/admin/joint-meetings/{meeting_id}/cancel", data={"csrf_token": vtoken}).status_code == 403
    assert office.post(f"/admin/joint-meetings/{meeting_id}/cancel").status_code == 400
    assert office.post(f"/admin/joint-meetings/{meeting_id}/cancel", data={"csrf_token": token}).status_code == 302
    with session_factory() as s:
        assert s.get(Meeting, meeting_id).status == "cancelled"
    assert outbox_to(session_factory, QSZ)[-1].startswith("【联席会议取消】")
    page = office.get("/admin/joint-meetings").get_data(as_text=True)
    assert f"已取消 {number}" in page and f">{number}</a>" not in page  # told once, gone from the list


@pytest.mark.pg
def test_per_pairing_targets_are_imported_and_shown_beside_each_pairing(wechat, demo, settings, session_factory,
                                                                        clock, tmp_path):
    rows = [row + ["3", "2"] for row in GOOD] + [["公共卫生党支部", "2026", "", "", "", "", "", "2", "1"]]
    path = tmp_path / "p.xlsx"
    write_workbook(path, [("计划", [Column(h, 16) for h in HEADERS + ["每个结对单位结对活动次数",
                                                                      "每个结对单位义诊次数"]], rows)])
    bad = tmp_path / "bad.xlsx"
    write_workbook(bad, [("计划", [Column(h, 16) for h in HEADERS + ["每个结对单位结对活动次数", "x"]],
                          [rows[2][:7] + ["两次", ""]])])
    refused = invoke(settings, "plan", "import", "--consortium", "linxi", "--file", str(bad))
    assert refused.exit_code != 0 and "每个结对单位结对活动次数「两次」" in refused.output
    assert invoke(settings, "plan", "import", "--consortium", "linxi", "--file", str(path)).exit_code == 0
    with session_factory() as s:
        plan = s.scalar(select(YearPlan).join(Branch).where(Branch.code == "public_health", YearPlan.year == 2026))
        assert plan.pairing_targets == {"结对活动": 2, "义诊": 1}
    clock.now = at(2026, 12, 6, 10, 0)
    wechat.send(LINE, user=PUBLIC)  # a 义诊 at 白沙村卫生室
    wechat.send("确认", user=PUBLIC)
    reply = wechat.send("结对", user=PUBLIC)
    bsc = next(line for line in reply.split("· ") if line.startswith("白沙村卫生室"))
    assert "2026年度计划：结对活动 1/2，义诊 1/1" in bsc
    other = next(line for line in reply.split("· ")[1:] if not line.startswith("白沙村卫生室"))
    assert "2026年度计划：结对活动 0/2，义诊 0/1" in other
    assert "各结对单位的计划进度请发送「结对」查看" in wechat.send("组织生活", user=PUBLIC)


def test_the_secretary_edits_the_year_end_review_in_wechat(app, wechat, demo, session_factory, clock):
    clock.now = at(2026, 12, 20, 10, 0)
    shown = wechat.send("述职", user=SEC)
    assert "妇儿党支部2026年度述职评议材料（由系统根据台账生成）" in shown
    assert "1. 一、组织生活" in shown and "存在的不足与下一步打算：（请支部书记补充）" in shown and "述职 补充" in shown
    assert "没有第 20 段" in wechat.send("述职 20 新内容", user=SEC)
    assert "请在段号或「补充」后写上内容" in wechat.send("述职 补充", user=SEC)
    edited = wechat.send("述职 第2段 二、结对帮扶：全年下沉帮扶白沙镇卫生院产科，开展急救培训3次。", user=SEC)
    assert edited.startswith("已保存。") and "（已修改）" in edited and "2. 二、结对帮扶：全年下沉帮扶" in edited
    added = wechat.send("述职 补充 结对活动次数偏少，明年每季度至少下沉一次。", user=SEC)
    assert "存在的不足与下一步打算：结对活动次数偏少，明年每季度至少下沉一次。" in added and "请支部书记补充" not in added
    # the office reads the same text in the console; other branches' secretaries have their own
    office, _ = console_login(app, session_factory, "office", "office", clock.now)
    page = office.get("/admin/plans/maternal/review?year=2026").get_data(as_text=True)
    assert "全年下沉帮扶白沙镇卫生院产科" in page and "明年每季度至少下沉一次" in page
    assert "全年下沉帮扶" not in wechat.send("述职", user="demo-sec-surgery")
    assert "请支部书记补充" in wechat.send("述职 重置", user=SEC)
    # in January the 述职 is still about the year just ended
    clock.now = at(2027, 1, 10, 10, 0)
    assert "妇儿党支部2026年度述职评议材料" in wechat.send("述职", user=SEC)
    assert "述职评议材料" not in (wechat.send("述职", user="demo-member-BSZ") or "")  # a member has none


def test_the_office_cancels_a_joint_meeting_and_its_invitees_are_told(wechat, units, session_factory, clock):
    number = wechat.send(SCHEDULE, user=OFFICE).split("已安排联席会议 ")[1].split()[0]
    assert "请写明要取消的联席会议编号" in wechat.send("取消会议", user=OFFICE)
    assert "没有找到联席会议 M-2026-9999" in wechat.send("取消会议 M-2026-9999", user=OFFICE)
    reply = wechat.send(f"取消会议 {number}", user=OFFICE)
    assert f"已取消 {number}" in reply
    for invitee in (LOGISTICS, BSZ, QSZ):
        assert outbox_to(session_factory, invitee)[-1].startswith("【联席会议取消】")
    assert "已经取消过了" in wechat.send(f"取消会议 {number}", user=OFFICE)
    assert "没有找到会议" in wechat.send(f"取消会议 {number}", user=LOGISTICS)  # a secretary: own branch's only
    with session_factory() as s:
        assert s.get(Meeting, int(number.rsplit("-", 1)[1])).status == "cancelled"
    assert "暂无待召开的联席会议" in wechat.send("议题 增加编制", user=BSZ)
    started = wechat.send("会议 联席会议 12月17日 09:00 三楼会议室 临时联席会议", user=OFFICE) \
        .split("已安排联席会议 ")[1].split()[0]
    clock.now = at(2026, 12, 17, 9, 30)
    assert "不能取消" in wechat.send(f"取消会议 {started}", user=OFFICE)


def test_a_joint_meeting_scheduled_before_the_upgrade_gets_its_list_at_the_first_sign_in(wechat, units,
                                                                                        session_factory, clock):
    number = wechat.send(SCHEDULE, user=OFFICE).split("已安排联席会议 ")[1].split()[0]
    with session_factory() as s:  # as a meeting of release 0012 looks after the upgrade: no list
        s.query(JointAttendance).delete()
        s.commit()
    reply = wechat.send("请假 下乡巡诊", user=QSZ)
    assert f"已为您登记请假：联席会议 {number}" in reply
    clock.now = at(2026, 12, 18, 13, 50)
    assert f"签到成功：联席会议 {number}" in wechat.send("签到", user=BSZ)
    listed = attendance_of(session_factory, number)
    assert {OFFICE, LOGISTICS} <= set(listed) and listed[QSZ] == "leave" and listed[BSZ] == "present"
