"""The 组织生活 console (matrix, branch page, meeting page, photos from blobs, roster edits) with role and
consortium checks, and the branch 台账 book (CLI and console): sheets, photos inside, an empty year."""
from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from models.org import Consortium
from models.party import Meeting, MeetingPhoto, PartyMember, PhotoFetch
from services.demo import party as demo_party
from services.meetings import media
from services.org import accounts as admin_accounts
from tests.test_console_security import HOSTILE, PASSWORD, logged_in
from tests.test_meetings import invoke

NOW = datetime(2026, 12, 15, 3, 0, tzinfo=timezone.utc)
SHEETS = ["党员名册", "三会一课", "主题党日", "组织生活会", "结对活动", "诉求办理", "月报", "党员参与", "述职评议"]


@pytest.fixture
def console(app, settings, clock, session_factory):
    """Demo data with rosters and two months of meetings; office and viewer of linxi, office of the
    second consortium, a bureau account."""
    from services.demo import seed as demo_svc
    from services.org import structure as org
    clock.now = NOW
    with session_factory() as s:
        org.sync_org(s, settings)
        demo_svc.seed(s, settings, now=NOW, party=True)
        second = s.scalars(select(Consortium).order_by(Consortium.id)).all()[1]
        admin_accounts.create_account(s, "office", PASSWORD, role="office", now=NOW)
        admin_accounts.create_account(s, "viewer", PASSWORD, role="viewer", now=NOW)
        admin_accounts.create_account(s, "other", PASSWORD, role="office", now=NOW, consortium_id=second.id)
        admin_accounts.create_account(s, "bureau", PASSWORD, role="bureau", now=NOW)
        s.commit()
    return app


def first_meeting(session_factory, branch_code: str = "maternal", consortium: int = 1) -> tuple[str, int]:
    """A linxi maternal meeting with a stored photo: (number, photo id)."""
    with session_factory() as s:
        m = s.scalars(select(Meeting).join(Meeting.branch).where(Meeting.consortium_id == consortium,
                                                                 Meeting.branch.has(code=branch_code))
                      .order_by(Meeting.id)).first()
        photo = s.scalars(select(MeetingPhoto).where(MeetingPhoto.meeting_id == m.id)).first()
        return m.number, photo.id


def no_inline_script(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+\s*=", html)


@pytest.mark.pg
def test_matrix_shows_held_over_required_and_rates_for_own_consortium(console):
    page = logged_in(console).get("/admin/orglife?year=2026&kind=committee").get_data(as_text=True)
    assert "妇儿党支部" in page and "1/1" in page and "出勤率" in page
    assert re.search(r"\d+%", page) and "实到" in page
    no_inline_script(page)
    party_day = logged_in(console, "viewer").get("/admin/orglife?year=2026&kind=party_day").get_data(as_text=True)
    assert "m-missing" in party_day  # a demo branch behind this month


@pytest.mark.pg
def test_meeting_page_lists_attendance_minutes_and_serves_photos(console, session_factory):
    number, photo_id = first_meeting(session_factory)
    client = logged_in(console, "viewer")
    page = client.get(f"/admin/meetings/{number}").get_data(as_text=True)
    assert "实到" in page and "请假" in page and "值班" in page and "形成以下意见" in page
    assert f"/admin/meetings/photos/{photo_id}" in page
    no_inline_script(page)
    photo = client.get(f"/admin/meetings/photos/{photo_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/png" and photo.data.startswith(b"\x89PNG")


def test_other_consortium_cannot_see_meeting_or_photo(console, session_factory):
    number, photo_id = first_meeting(session_factory)
    other = logged_in(console, "other")
    assert other.get(f"/admin/meetings/{number}").status_code == 404
    assert other.get(f"/admin/meetings/photos/{photo_id}").status_code == 404
    assert other.get("/admin/orglife/branches/maternal/book.zip?year=2026").status_code == 200  # its own maternal
    anonymous = console.test_client()
    assert anonymous.get(f"/admin/meetings/photos/{photo_id}").status_code == 302


def test_bureau_sees_any_consortium_by_choice(console, session_factory):
    number, photo_id = first_meeting(session_factory)
    bureau = logged_in(console, "bureau")
    assert bureau.get(f"/admin/meetings/photos/{photo_id}?consortium=linxi").status_code == 200
    with session_factory() as s:
        code = s.scalars(select(Consortium).order_by(Consortium.id)).all()[1].code
    assert bureau.get(f"/admin/meetings/photos/{photo_id}?consortium={code}").status_code == 404


def test_branch_page_shows_meetings_and_member_participation(console):
    page = logged_in(console).get("/admin/orglife/branches/maternal?year=2026").get_data(as_text=True)
    assert "支委会" in page and "补录" in page and "参与率" in page and "预备党员" in page
    assert logged_in(console).get("/admin/orglife/branches/nope").status_code == 404


def roster_form(client, **fields) -> dict:
    return {"csrf_token": csrf_of(client), "branch": "maternal", "name": "新党员", "status": "probationary",
            "duty": "member", "group": "第一党小组", "phone": "", **fields}


def csrf_of(client) -> str:
    client.get("/admin/roster")
    with client.session_transaction() as sess:
        return sess["csrf"]


def member_named(session_factory, name: str) -> PartyMember | None:
    with session_factory() as s:
        return s.scalar(select(PartyMember).where(PartyMember.name == name))


@pytest.mark.pg
def test_office_adds_edits_moves_and_archives_a_member(console, session_factory):
    client = logged_in(console)
    assert client.post("/admin/roster", data=roster_form(client)).status_code == 302
    member = member_named(session_factory, "新党员")
    assert member.status == "probationary" and member.branch.code == "maternal"
    client.post(f"/admin/roster/{member.id}", data=roster_form(client, branch="surgery", status="full", duty="committee"))
    moved = member_named(session_factory, "新党员")
    assert moved.branch.code == "surgery" and moved.duty == "committee" and moved.id == member.id
    assert "新党员" in client.get("/admin/roster?branch=surgery").get_data(as_text=True)
    client.post(f"/admin/roster/{member.id}/archive", data={"csrf_token": csrf_of(client)})
    assert member_named(session_factory, "新党员").archived_at is not None
    dup = client.post("/admin/roster", data=roster_form(client, name=moved.name, branch="surgery"),
                      follow_redirects=True).get_data(as_text=True)
    assert "已有同名党员" in dup


def test_roster_changes_need_write_role_csrf_and_own_consortium(console, session_factory):
    viewer = logged_in(console, "viewer")
    assert viewer.post("/admin/roster", data=roster_form(viewer)).status_code == 403
    office = logged_in(console)
    form = roster_form(office)
    form.pop("csrf_token")
    assert office.post("/admin/roster", data=form).status_code == 400
    with session_factory() as s:
        linxi_member = s.scalars(select(PartyMember).where(PartyMember.consortium_id == 1)).first().id
    other = logged_in(console, "other")
    assert other.post(f"/admin/roster/{linxi_member}/archive", data={"csrf_token": csrf_of(other)}).status_code == 404
    assert other.get(f"/admin/roster/{linxi_member}").status_code == 404
    assert member_named(session_factory, "新党员") is None


def test_hostile_member_name_is_escaped_and_template_downloads(console, session_factory):
    client = logged_in(console)
    client.post("/admin/roster", data=roster_form(client, name=HOSTILE[:32]))
    page = client.get("/admin/roster?branch=maternal").get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img" in page
    no_inline_script(page)
    template = client.get("/admin/roster/template.xlsx")
    ws = load_workbook(io.BytesIO(template.data)).worksheets[0]
    assert [c.value for c in ws[1]] == ["支部", "姓名", "身份", "职务", "党小组", "手机号"]


def open_book(data: bytes) -> tuple[zipfile.ZipFile, list[str]]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return zf, load_workbook(io.BytesIO(zf.read("台账.xlsx"))).sheetnames


@pytest.mark.pg
def test_branch_book_cli_has_sheets_photos_and_printable_index(console, settings, session_factory, tmp_path):
    with session_factory() as s:  # a distinct stored photo for the maternal branch's first meeting
        number, photo_id = first_meeting(session_factory)
        blob = media.store_blob(s, demo_party.tiny_png((1, 2, 3)), "image/png", now=NOW)
        s.get(PhotoFetch, s.scalar(select(PhotoFetch.id).where(PhotoFetch.photo_id == photo_id))).blob_id = blob.id
        data = blob.data
        s.commit()
    out = tmp_path / "妇儿党支部2026年台账.zip"
    result = invoke(settings, "export", "branch-book", "--branch", "maternal", "--year", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["meetings"] > 0 and summary["photos"] > 0 and summary["empty"] is False
    zf, sheets = open_book(out.read_bytes())
    assert sheets == SHEETS
    inside = [n for n in zf.namelist() if n.startswith("照片/") and f" {number}/" in n]
    assert inside and zf.read(inside[0]) == data
    index = zf.read("index.html").decode()
    assert "@page" in index and "A4" in index and "Noto Serif CJK SC" in index and inside[0] in index
    assert "<script" not in index
    ws = load_workbook(io.BytesIO(zf.read("台账.xlsx")))["三会一课"]
    assert ws.max_row > 1 and ws["A2"].data_type == "s"


def test_branch_book_holds_the_photos_of_pairing_activities(console, settings, session_factory, tmp_path):
    from datetime import date

    from models.org import Branch, Pairing
    from models.pairing import Activity, ActivityPhoto
    with session_factory() as s:  # a 义诊 of the maternal branch at its paired unit, with one stored photo
        branch = s.scalar(select(Branch).where(Branch.code == "maternal", Branch.consortium_id == 1))
        pairing = s.scalars(select(Pairing).where(Pairing.branch_id == branch.id)).first()
        act = Activity(consortium_id=1, branch_id=branch.id, unit_id=pairing.unit_id, pairing_id=pairing.id,
                       kind="clinic", held_on=date(2026, 12, 5), counts={"people": 80}, note="=1+1", created_at=NOW)
        s.add(act)
        s.flush()
        photo = ActivityPhoto(activity_id=act.id, media_id="m-act", pic_url="", created_at=NOW)
        s.add(photo)
        s.flush()
        blob = media.store_blob(s, demo_party.tiny_png((9, 8, 7)), "image/png", now=NOW)
        s.add(PhotoFetch(source="activity", photo_id=photo.id, media_id="m-act", status="stored", blob_id=blob.id,
                         created_at=NOW, updated_at=NOW))
        act_id, data = act.id, blob.data
        s.commit()
    out = tmp_path / "book.zip"
    result = invoke(settings, "export", "branch-book", "--branch", "maternal", "--year", "2026", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["activity_photos"] == 1
    zf, _ = open_book(out.read_bytes())
    assert zf.read(f"照片/结对活动/2026-12-05 义诊 A{act_id}/01.png") == data
    ws = load_workbook(io.BytesIO(zf.read("台账.xlsx")))["结对活动"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == f"A{act_id}")
    assert row[-1] == 1 and row[5] == "=1+1" and ws.cell(ws.max_row, 6).data_type == "s"


def test_empty_year_gives_a_valid_book_that_says_so(console, settings, tmp_path):
    out = tmp_path / "empty.zip"
    result = invoke(settings, "export", "branch-book", "--branch", "maternal", "--year", "2024", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["empty"] is True
    zf, sheets = open_book(out.read_bytes())
    assert sheets == SHEETS and "没有记录任何会议" in zf.read("index.html").decode()
    bad = invoke(settings, "export", "branch-book", "--branch", "nope", "--year", "2026", "--out", str(out))
    assert bad.exit_code != 0 and "--branch" in bad.output


def test_console_book_button_downloads_the_zip(console):
    client = logged_in(console, "viewer")
    page = client.get("/admin/orglife/branches/maternal?year=2026").get_data(as_text=True)
    assert "book.zip" in page
    response = client.get("/admin/orglife/branches/maternal/book.zip?year=2026")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    zf, sheets = open_book(response.data)
    assert sheets == SHEETS and any(n.startswith("照片/") for n in zf.namelist())
