"""Pairings (结对共建): agreements from config.yaml, 四个一 progress, the idempotent November reminder, needs."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from core.config import ConfigError, DEFAULT_CONFIG, load_settings
from models.outbox import OutboxMessage
from models.pairing import PairingAgreement
from models.task import Task
from scheduler import jobs
from services.org import structure as org
from services.pairing import agreements as pairing

SH = ZoneInfo("Asia/Shanghai")
PUBLIC, EYE, OFFICE = "demo-sec-public_health", "demo-sec-eye_ent", "demo-office-linxi"
QH_INTERNAL = "demo-sec-qinghe-internal"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def config_with(tmp_path, change) -> dict:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return {"TONGXIN_CONFIG": str(path), "TONGXIN_VAR_DIR": str(tmp_path)}


def unit(data, code):
    return next(u for c in data["consortia"] for u in c["units"] if u["code"] == code)


@pytest.mark.parametrize("change, key, problem", [
    (lambda d: unit(d, "BSC")["pairs"][0].update(branch="nope"), "consortia[0].units[6].pairs[0].branch",
     'unknown branch "nope"'),
    (lambda d: unit(d, "BSC")["pairs"][0].update(targets={"义诊": 1}), "consortia[0].units[6].pairs[0].targets.义诊",
     "expected one of"),
    (lambda d: unit(d, "BSC")["pairs"][0].update(targets={"deed": 20}), "consortia[0].units[6].pairs[0].targets.deed",
     "0..12"),
    (lambda d: unit(d, "BSC")["pairs"][0].update(signed="2026-13-01"), "consortia[0].units[6].pairs[0].signed",
     "expected a date"),
    (lambda d: unit(d, "BSC")["pairs"][0].update(until="2025-01-01"), "consortia[0].units[6].pairs[0].until",
     "before signed"),
    (lambda d: unit(d, "BSC")["pairs"].append(3), "consortia[0].units[6].pairs[1]", "expected a branch code"),
])
def test_pairing_config_mistakes_name_the_key(tmp_path, change, key, problem):
    with pytest.raises(ConfigError) as exc:
        load_settings(environ=config_with(tmp_path, change))
    assert exc.value.key == key and problem in exc.value.problem


def test_both_pairs_forms_load_and_agreements_are_not_overwritten(tmp_path, sqlite_url):
    from models.db import create_schema, make_engine, make_session_factory
    settings = load_settings(environ={"TONGXIN_VAR_DIR": str(tmp_path), "DATABASE_URL": sqlite_url})
    bsc = next(u for u in settings.consortia[0].units if u.code == "BSC")
    assert bsc.paired_branches == ("public_health",) and bsc.pairings[0].duties[0] == "每季度开展一次义诊"
    engine = make_engine(sqlite_url)
    create_schema(engine)
    with make_session_factory(engine)() as s:
        org.sync_org(s, settings)
        [row] = [r for r in pairing.pairing_rows(s, 2026) if r.unit_code == "BSC"]
        assert str(row.signed_on) == "2026-01-15" and row.targets["deed"] == 1
        p = pairing.get_pairing(s, row.id, None)
        pairing.update_agreement(s, p, signed_on=row.signed_on, ends_on=row.ends_on, duties=["改过的事项"],
                                 targets={"deed": 2, "exchange": 1, "party_day": 1, "survey": 1}, now=at(2026, 3, 1))
        org.sync_org(s, settings)  # the console's edit survives a re-sync
        agreement = s.scalar(select(PairingAgreement).where(PairingAgreement.pairing_id == row.id))
        assert agreement.duties == ["改过的事项"] and agreement.targets["deed"] == 2
        assert len(s.scalars(select(PairingAgreement)).all()) == 2  # BSC and 清河镇卫生院's long-form entry
    engine.dispose()


def test_secretary_sees_four_ones_and_office_matrix_changes(wechat, demo, clock):
    clock.now = at(2026, 12, 6, 10, 0)
    mine = wechat.send("结对", user=PUBLIC)
    assert "公共卫生党支部2026年结对共建" in mine and "白沙村卫生室：办实事✘" in mine
    assert "责任书：2026-01-15至2028-12-31；每季度开展一次义诊" in mine
    before = wechat.send("四个一", user=OFFICE)
    assert "0/17 对全部完成" in before and "办实事 0/17" in before
    wechat.send("义诊 2026-12-05 白沙村卫生室 接诊120 血压80", user=PUBLIC)
    wechat.send("确认", user=PUBLIC)
    for line in ("联合党日 12-01 白沙村 主题党日", "需求调查 12-02 白沙村", "培训 12-03 白沙村 参加20"):
        wechat.send(line, user=PUBLIC)
        wechat.send("确认", user=PUBLIC)
    after = wechat.send("四个一", user=OFFICE)
    assert "1/17 对全部完成" in after and "办实事 1/17" in after and "联合党日 1/17" in after
    assert "公共卫生党支部—白沙村卫生室" not in after  # complete pairings leave the "missing" list
    assert "白沙村卫生室：办实事✔ 业务交流✔ 联合党日✔ 需求调查✔" in wechat.send("结对", user=PUBLIC)


def _fire(session_factory, settings, at_):
    schedule = next(s for s in settings.schedules if s.name == "four_ones_reminder")
    with session_factory() as s:
        queued = jobs.fire_at(s, settings, schedule, at_)
        s.commit()
    return queued


@pytest.mark.pg
def test_november_reminder_goes_to_incomplete_pairs_once(wechat, demo, clock, settings, session_factory):
    clock.now = at(2026, 10, 20, 10, 0)
    for line in ("义诊 10-10 柳河村卫生室", "业务交流 10-11 柳河村卫生室", "联合党日 10-12 柳河村卫生室",
                 "需求调查 10-13 柳河村卫生室"):
        wechat.send(line, user="demo-sec-logistics")  # 后勤 is paired with 柳河村卫生室 only: complete
        wechat.send("确认", user="demo-sec-logistics")
    first = _fire(session_factory, settings, at(2026, 11, 2, 9, 0))
    assert first == 16  # secretaries of branches with pairings (9 of 临溪 without 后勤, complete; 7 of 清河)
    assert _fire(session_factory, settings, at(2026, 11, 2, 9, 0)) == 0  # idempotent
    assert _fire(session_factory, settings, at(2026, 11, 2, 9, 30)) == 0  # a late re-run of the same month
    with session_factory() as s:
        texts = {m.to_openid: m.text for m in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))}
    assert "demo-sec-logistics" not in texts
    assert "【四个一提醒】" in texts[EYE] and "柳树乡卫生院（缺办实事、业务交流、联合党日、需求调查）" in texts[EYE]
    assert "清河镇卫生院" in texts[QH_INTERNAL] and "柳" not in texts[QH_INTERNAL]  # its own consortium only


def test_office_marks_a_need_listed_under_the_pairing(wechat, demo, clock, session_factory):
    clock.now = at(2026, 12, 7, 10, 0)
    wechat.send("村里老人想做眼底检查，能不能安排", user="demo-member-LHC")
    with session_factory() as s:
        task = s.scalar(select(Task).order_by(Task.id.desc()))
    assert "列入后勤党支部与柳河村卫生室的需求清单" in wechat.send(f"需求 {task.number} 后勤", user=OFFICE)
    assert "没有结对关系" in wechat.send(f"需求 {task.number} 外科", user=OFFICE)
    assert "需求清单 1 项待办" in wechat.send("结对", user="demo-sec-logistics")
    assert "没有找到诉求" in wechat.send(f"需求 {task.number}", user="demo-office-qinghe")
