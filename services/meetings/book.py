"""A branch's 台账 book for a year: one zip with 台账.xlsx (党员名册, 三会一课, 主题党日, 组织生活会, 结对活动,
诉求办理, 月报, 党员参与), the stored photos of meetings and of 结对 activities in folders named by date,
kind and number, and a printable index.html (services/meetings/book_html.py). A year with nothing recorded
still gives a valid book."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.org import Branch
from models.pairing import Activity, ActivityPhoto
from models.party import MediaBlob, MeetingPhoto, PartyMember, PhotoFetch
from models.report import MonthlyReport
from models.task import STATUS_LABELS, Task
from services.meetings import listing, matrix
from services.meetings.book_html import render_index
from services.meetings.roster import DUTY_LABELS, STATUS_LABELS as MEMBER_LABELS
from services.pairing.activities import counts_text
from services.pairing.agreements import KIND_LABELS
from services.shared.spreadsheets import Column, write_workbook

SHEET_KINDS = {"三会一课": ("assembly", "committee", "group", "lecture"), "主题党日": ("party_day",),
               "组织生活会": ("life",)}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
MEETING_COLUMNS = [Column("编号", 14), Column("时间", 17, True), Column("类型", 12), Column("主题", 36),
                   Column("地点", 16), Column("应到", 6), Column("实到", 6), Column("请假", 6), Column("缺席", 6),
                   Column("补录", 6), Column("纪要", 50), Column("照片", 6)]


@dataclass
class BookMeeting:
    summary: dict
    minutes: str
    attendees: list[dict]
    photos: list[str] = field(default_factory=list)  # paths inside the zip


def _local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None) if value else None


def _meetings(session: Session, branch: Branch, year: int, conf: MeetingsConf, *, now: datetime,
              tz: ZoneInfo) -> tuple[list, list[BookMeeting]]:
    rows = listing.query(session, branch_id=branch.id, start=datetime(year, 1, 1, tzinfo=tz),
                         end=datetime(year + 1, 1, 1, tzinfo=tz), cancelled=False)
    summaries = listing.summaries(session, rows, conf, now=now, tz=tz)
    return rows, [BookMeeting(s, m.minutes, listing.attendees(session, m, conf, now=now, tz=tz))
                  for m, s in zip(rows, summaries)]


def _meeting_rows(rows, book: list[BookMeeting], codes: tuple[str, ...], tz: ZoneInfo) -> list[list[Any]]:
    return [[b.summary["id"], _local(m.starts_at, tz), b.summary["kind"] + (f"（{m.group_name}）" if m.group_name else ""),
             m.title, m.place, b.summary["expected"], b.summary["present"], b.summary["leave"], b.summary["absent"],
             "是" if m.late_recorded else "", m.minutes, b.summary["photos"]]
            for m, b in zip(rows, book) if m.kind in codes]


def _roster_rows(session: Session, branch: Branch, tz: ZoneInfo) -> list[list[Any]]:
    members = session.scalars(select(PartyMember).where(PartyMember.branch_id == branch.id)
                              .order_by(PartyMember.archived_at.is_not(None), PartyMember.id))
    return [[m.name, MEMBER_LABELS.get(m.status, m.status), DUTY_LABELS.get(m.duty, m.duty), m.group_name, m.phone,
             "已绑定" if m.person_id else "", _local(m.archived_at, tz)] for m in members]


def _activities(session: Session, branch: Branch, year: int) -> list[Activity]:
    return list(session.scalars(select(Activity).where(
        Activity.branch_id == branch.id, Activity.held_on >= date(year, 1, 1), Activity.held_on < date(year + 1, 1, 1))
        .order_by(Activity.held_on, Activity.id)))


def _other_sheets(session: Session, branch: Branch, year: int, tz: ZoneInfo, acts: list[Activity],
                  act_photos: dict[int, list]) -> list:
    tasks = session.scalars(select(Task).where(Task.branch_id == branch.id,
                                               Task.created_at >= datetime(year, 1, 1, tzinfo=tz),
                                               Task.created_at < datetime(year + 1, 1, 1, tzinfo=tz))
                            .order_by(Task.created_at))
    reports = session.scalars(select(MonthlyReport).where(MonthlyReport.branch_id == branch.id,
                                                          MonthlyReport.period.like(f"{year}-%"))
                              .order_by(MonthlyReport.period))
    return [("结对活动", [Column("编号", 8), Column("日期", 12), Column("类型", 10), Column("单位", 20),
                       Column("数字", 30), Column("说明", 50), Column("照片", 6)],
             [[f"A{a.id}", a.held_on.isoformat(), KIND_LABELS.get(a.kind, a.kind), a.unit.name, counts_text(a.counts),
               a.note, len(act_photos.get(a.id, []))] for a in acts]),
            ("诉求办理", [Column("编号", 14), Column("提出时间", 17, True), Column("单位", 18), Column("状态", 8),
                       Column("诉求", 50), Column("办结说明", 40), Column("办结时间", 17, True), Column("评价", 6)],
             [[t.number, _local(t.created_at, tz), t.unit.name if t.unit else "", STATUS_LABELS.get(t.status, t.status),
               t.text, t.resolution_note or "", _local(t.resolved_at, tz), t.rating] for t in tasks]),
            ("月报", [Column("月份", 9), Column("报送时间", 17, True), Column("迟报", 6), Column("数字", 40),
                    Column("内容", 60)],
             [[r.period, _local(r.filed_at, tz), "是" if r.late else "",
               "；".join(f"{k} {v}" for k, v in r.counts.items()), r.text] for r in reports])]


def _photos(session: Session, source: str, ids: list[int]) -> dict[int, list[tuple[int, MediaBlob]]]:
    """Meeting (source "meeting") or activity ("activity") id -> its stored photos (photo id, blob), oldest
    first, in one query."""
    if not ids:
        return {}
    model = MeetingPhoto if source == "meeting" else ActivityPhoto
    owner = model.meeting_id if source == "meeting" else model.activity_id
    result: dict[int, list] = {}
    for owner_id, photo_id, blob in session.execute(
            select(owner, model.id, MediaBlob)
            .join(PhotoFetch, (PhotoFetch.source == source) & (PhotoFetch.photo_id == model.id))
            .join(MediaBlob, MediaBlob.id == PhotoFetch.blob_id)
            .where(owner.in_(ids), PhotoFetch.status == "stored")
            .order_by(model.id)):
        result.setdefault(owner_id, []).append((photo_id, blob))
    return result


def _write_photos(zf: zipfile.ZipFile, folder: str, photos: list[tuple[int, MediaBlob]], year: int) -> list[str]:
    paths = []
    for index, (_, blob) in enumerate(photos, start=1):
        path = f"{folder}/{index:02d}.{EXTENSIONS.get(blob.content_type, 'bin')}"
        zf.writestr(zipfile.ZipInfo(path, date_time=(year, 1, 1, 0, 0, 0)), blob.data, compress_type=zipfile.ZIP_STORED)
        paths.append(path)
    return paths


def folder_name(summary: dict) -> str:
    """照片/2026-12-18 支委会 M-2026-0001: date, kind and number (no user text in paths)."""
    return f"照片/{summary['starts_at'][:10]} {summary['kind']} {summary['id']}"


def activity_folder(activity: Activity) -> str:
    """照片/结对活动/2026-12-05 义诊 A12: date, kind and number."""
    return f"照片/结对活动/{activity.held_on.isoformat()} {KIND_LABELS.get(activity.kind, activity.kind)} A{activity.id}"


def write_book(session: Session, branch: Branch, year: int, conf: MeetingsConf, out: IO[bytes] | Path, *,
               now: datetime, tz: ZoneInfo, review_text: str = "") -> dict:
    """Write the zip; returns {"meetings", "photos", "activity_photos", "empty"}. `review_text` (the 述职评议
    draft) becomes the sheet 述职评议 (one paragraph a row) and 述职评议.txt."""
    rows, book = _meetings(session, branch, year, conf, now=now, tz=tz)
    photos = _photos(session, "meeting", [m.id for m in rows])
    acts = _activities(session, branch, year)
    act_photos = _photos(session, "activity", [a.id for a in acts])
    sheets = [("党员名册", [Column("姓名", 10), Column("身份", 10), Column("职务", 8), Column("党小组", 12),
                        Column("手机号", 14), Column("微信", 8), Column("转出时间", 17, True)],
               _roster_rows(session, branch, tz))]
    sheets += [(title, MEETING_COLUMNS, _meeting_rows(rows, book, codes, tz)) for title, codes in SHEET_KINDS.items()]
    sheets += _other_sheets(session, branch, year, tz, acts, act_photos)
    people = matrix.participation(session, branch.id, year, tz, until=now)
    sheets.append(("党员参与", [Column("姓名", 10), Column("身份", 10), Column("应参加", 8), Column("参加", 8),
                            Column("请假", 8), Column("缺席", 8), Column("已转出", 8)],
                   [[p["name"], MEMBER_LABELS.get(p["status"], p["status"]), p["expected"], p["present"], p["leave"],
                     p["absent"], "是" if p["archived"] else ""] for p in people]))
    if review_text:
        sheets.append(("述职评议", [Column("述职评议材料（草稿）", 100)],
                       [[line] for line in review_text.split("\n") if line.strip()]))
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        xlsx = io.BytesIO()
        write_workbook(xlsx, sheets)
        zf.writestr("台账.xlsx", xlsx.getvalue())
        for meeting, entry in zip(rows, book):
            entry.photos += _write_photos(zf, folder_name(entry.summary), photos.get(meeting.id, []), year)
            count += len(entry.photos)
        act_count = sum(len(_write_photos(zf, activity_folder(a), act_photos.get(a.id, []), year)) for a in acts)
        if review_text:
            zf.writestr("述职评议.txt", review_text.encode("utf-8-sig"))
        zf.writestr("index.html", render_index(branch.name, year, book, people, now=now, tz=tz))
    return {"meetings": len(book), "photos": count, "activity_photos": act_count, "empty": not book}


def book_filename(branch: Branch, year: int) -> str:
    return f"{branch.name}{year}年台账.zip"
