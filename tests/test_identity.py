"""Identities: invite codes, binding by text and QR scene, unbinding, help per role."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.message import InboundMessage
from models.org import Person
from models.task import Task
from services.org import structure as org
from services.org import people


def make_invite(app, settings, clock, role, **kw):
    with app.extensions["tongxin"].session_factory() as s:
        org.sync_org(s, settings)
        cons = org.consortium_by_code(s, None)
        branch = org.branch_by_code(s, cons.id, kw.pop("branch")) if "branch" in kw else None
        unit = org.find_unit(s, kw.pop("unit")) if "unit" in kw else None
        inv = people.create_invite(s, role=role, consortium=cons, branch=branch, unit=unit, now=clock(),
                                   ttl_days=settings.invite_ttl_days, **kw)
        s.commit()
        return inv.code


def person(app, openid):
    with app.extensions["tongxin"].session_factory() as s:
        return s.scalar(select(Person).where(Person.openid == openid))


def test_member_binds_with_unit_code(app, settings, clock, wechat):
    code = make_invite(app, settings, clock, "member", unit="BSZ")
    reply = wechat.send(f"绑定 {code.lower()}", user="doc-1")
    assert "白沙镇卫生院" in reply
    p = person(app, "doc-1")
    assert p.role == "member" and p.unit.code == "BSZ"


def test_member_code_is_multi_use_staff_code_single_use(app, settings, clock, wechat):
    unit_code = make_invite(app, settings, clock, "member", unit="QSZ")
    assert "青山镇卫生院" in wechat.send(f"绑定 {unit_code}", user="a")
    assert "青山镇卫生院" in wechat.send(f"绑定 {unit_code}", user="b")
    sec_code = make_invite(app, settings, clock, "secretary", branch="eye_ent")
    assert "五官科党支部" in wechat.send(f"绑定 {sec_code}", user="sec-a")
    assert "已被使用" in wechat.send(f"绑定 {sec_code}", user="sec-b")
    assert person(app, "sec-b").role is None


def test_expired_and_unknown_codes_are_refused(app, settings, clock, wechat):
    code = make_invite(app, settings, clock, "office")
    clock.now += timedelta(days=settings.invite_ttl_days, seconds=1)
    assert "已过期" in wechat.send(f"绑定 {code}", user="late")
    assert "不存在" in wechat.send("绑定 NOSUCH99", user="late")
    assert "绑定 邀请码" in wechat.send("绑定", user="late")
    assert person(app, "late").role is None


def test_qr_scene_subscribe_and_scan_bind(app, settings, clock, wechat):
    code = make_invite(app, settings, clock, "secretary", branch="nursing")
    reply = wechat.event("subscribe", "qr-user", key=f"qrscene_{code}")
    assert "护理党支部" in reply.content
    assert person(app, "qr-user").branch.code == "nursing"
    code2 = make_invite(app, settings, clock, "member", unit="HTX")
    assert "河塘乡卫生院" in wechat.event("SCAN", "scan-user", key=code2, Ticket="t").content
    assert person(app, "scan-user").role == "member"


def test_new_secretary_demotes_previous_to_deputy(app, settings, clock, wechat):
    wechat.send(f"绑定 {make_invite(app, settings, clock, 'secretary', branch='surgery')}", user="old")
    wechat.send(f"绑定 {make_invite(app, settings, clock, 'secretary', branch='surgery')}", user="new")
    assert person(app, "old").is_deputy and not person(app, "new").is_deputy


@pytest.mark.pg
def test_unbound_request_is_kept_and_submitted_after_binding(app, settings, clock, wechat, session_factory):
    reply = wechat.send("我们卫生院的B超机坏了，开不了机", user="stranger")
    assert "尚未绑定" in reply
    with session_factory() as s:
        row = s.scalars(select(InboundMessage).where(InboundMessage.openid == "stranger")).one()
        assert row.status == "pending_bind"
        assert s.scalars(select(Task)).all() == []
    code = make_invite(app, settings, clock, "member", unit="LSX")
    reply = wechat.send(f"绑定 {code}", user="stranger")
    assert "已一并提交" in reply and "T-" in reply
    with session_factory() as s:
        task = s.scalars(select(Task)).one()
        assert task.text == "我们卫生院的B超机坏了，开不了机" and task.unit.code == "LSX"
        assert s.scalars(select(InboundMessage).where(InboundMessage.status == "pending_bind")).all() == []


def test_unbind(app, settings, clock, wechat):
    wechat.send(f"绑定 {make_invite(app, settings, clock, 'member', unit='BSC')}", user="u")
    assert "已解除绑定" in wechat.send("解绑", user="u")
    assert person(app, "u").role is None
    assert "尚未绑定" in wechat.send("解绑", user="u")


def test_help_depends_on_role(app, settings, clock, wechat, demo):
    stranger = wechat.send("帮助", user="nobody")
    member = wechat.send("帮助", user="demo-member-BSZ")
    secretary = wechat.send("帮助", user="demo-sec-eye_ent")
    office = wechat.send("帮助", user="demo-office-linxi")
    assert "绑定 邀请码" in stranger and "接单" not in stranger
    assert "我的诉求" in member and "接单" not in member
    assert "接单" in secretary and "办结" in secretary and "分派" not in secretary
    assert "待分派" in office and "统计" in office
    assert wechat.click("HELP", user="demo-sec-eye_ent") == secretary


def test_unknown_command_gets_help_not_silence(app, wechat, demo):
    reply = wechat.send("接单吧", user="demo-sec-eye_ent")
    assert "没有看懂" in reply and "接单 T-编号" in reply


def test_subscribe_welcomes(app, wechat):
    assert "绑定 邀请码" in wechat.event("subscribe", "newbie").content


def test_ten_wrong_codes_an_hour_then_polite_refusal_until_the_hour_is_over(app, settings, clock, wechat, caplog):
    code = make_invite(app, settings, clock, "office")
    for i in range(10):
        assert "不存在" in wechat.send(f"绑定 WRONG{i:03d}", user="guesser")
        clock.now += timedelta(minutes=1)
    refused = wechat.send(f"绑定 {code}", user="guesser")  # even the right code: guessing is over for now
    assert "次数过多" in refused and "50 分钟后" in refused
    assert person(app, "guesser").role is None
    assert any("bind refused (throttled)" in r.getMessage() for r in caplog.records)
    assert "不存在" in wechat.send("绑定 WRONG999", user="someone-else")  # per openid
    clock.now += timedelta(minutes=50)  # the first wrong code is an hour old
    assert "党委办公室" in wechat.send(f"绑定 {code}", user="guesser")
    assert person(app, "guesser").role == "office"
