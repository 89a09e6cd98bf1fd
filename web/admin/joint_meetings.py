"""联席会议 page: schedule a consortium-level meeting (invitees notified), its draft agenda per unit (edit in a
textarea, send to the invitees; the sent text is kept), the topics units sent (议题), who came (signed in by
WeChat, or marked here), the minutes and photos sent by the office, and the decided items of each meeting."""
from __future__ import annotations

from datetime import date, datetime, time

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from models.joint import JointItem
from models.party import Meeting
from services.joint import agenda, attendance
from services.joint.items import JointError
from services.meetings import media
from services.meetings.parse import MeetingError
from web.admin.base import bp, committed, require_write
from web.admin.joint import _office_person

ERRORS = {"past": "会议时间已过。", "too_far": "会议时间在一年以后，请核对日期。", "bad_kind": "请选择会议类型。",
          "agenda_empty": "议程内容为空。", "already_cancelled": "该会议已经取消。",
          "cannot_cancel": "会议已经开始，不能取消。", "not_expected": "该人员不在本次会议的参会名单中。",
          "bad_status": "参会状态不正确。"}


def _meeting(meeting_id: int) -> Meeting:
    meeting = g.db.get(Meeting, meeting_id)
    if meeting is None or meeting.consortium_id != g.consortium.id or \
            meeting.kind not in agenda.joint_codes(g.settings.meetings):
        abort(404)
    return meeting


@bp.get("/joint-meetings")
def joint_meetings_page():
    cid = g.consortium.id
    rows = agenda.joint_meetings(g.db, cid, g.settings.meetings)
    picked = request.args.get("m", "")
    current = _meeting(int(picked)) if picked.isdigit() else \
        (agenda.next_meeting(g.db, cid, g.settings.meetings, now=g.now) or (rows[0] if rows else None))
    came = attendance.rows(g.db, current.id) if current else []
    items = g.db.scalars(select(JointItem).where(JointItem.meeting_id == current.id).order_by(JointItem.id)).all() \
        if current else []
    return render_template("admin/joint_meetings.html", rows=rows, current=current, items=items,
                           upcoming=bool(current and current.starts_at > g.now),
                           kinds=agenda.joint_kinds(g.settings.meetings), tz=g.settings.tz,
                           draft=agenda.draft(g.db, g.settings, current, now=g.now) if current else "",
                           topics=agenda.topics(g.db, current.id) if current else [],
                           attendance=came, counts=attendance.summarise(came),
                           roles=attendance.roles(g.db, cid, [a.person for a in came]),
                           statuses=attendance.STATUS_WORDS,
                           photos=media.meeting_photos(g.db, current.id) if current else [],
                           invitees=len(agenda.invitees(g.db, cid)), page_id="joint_meetings")


@bp.post("/joint-meetings")
def joint_meeting_create():
    require_write()
    form = request.form
    kind = g.settings.meetings.kind(form.get("kind", ""))
    author = _office_person()
    try:
        starts = datetime.combine(date.fromisoformat(form.get("date", "")), time.fromisoformat(form.get("time", "")),
                                  tzinfo=g.settings.tz)
    except ValueError:
        flash("请填写会议日期和时间。", "error")
        return redirect(url_for("admin.joint_meetings_page"))
    if kind is None or author is None:
        flash(ERRORS["bad_kind"], "error")
        return redirect(url_for("admin.joint_meetings_page"))
    try:
        meeting, notified = agenda.create(g.db, author, kind, starts, form.get("place", "").strip(),
                                          form.get("title", "").strip(), now=g.now, tz=g.settings.tz,
                                          sandbox=g.settings.sandbox)
    except MeetingError as exc:
        flash(ERRORS.get(exc.code, exc.code), "error")
        return redirect(url_for("admin.joint_meetings_page"))
    g.db.commit()
    flash(f"已安排{kind.name} {meeting.number}，已通知{notified}人。", "ok")
    return redirect(url_for("admin.joint_meetings_page", m=meeting.id))


def _change(meeting_id: int, change, done):
    """A write account's change to one 联席会议: `change(meeting)`; a refusal flashes its reason and changes
    nothing; else commit and flash `done(meeting, result)`."""
    require_write()
    meeting = _meeting(meeting_id)
    try:
        result = change(meeting)
    except (JointError, MeetingError) as exc:
        flash(ERRORS.get(exc.code, exc.code), "error")
        return redirect(url_for("admin.joint_meetings_page", m=meeting.id))
    return committed(done(meeting, result), "admin.joint_meetings_page", m=meeting.id)


@bp.post("/joint-meetings/<int:meeting_id>/agenda")
def joint_agenda_send(meeting_id: int):
    return _change(meeting_id, lambda m: agenda.send_agenda(g.db, m, request.form.get("agenda", "")[:5000],
                                                            now=g.now, sandbox=g.settings.sandbox),
                   lambda m, sent: f"议程已发送给{sent}人。")


@bp.post("/joint-meetings/<int:meeting_id>/attendance")
def joint_attendance_mark(meeting_id: int):
    """The office marks one invitee present, on leave or not signed in (someone who came without a phone)."""
    person = request.form.get("person", "")
    return _change(meeting_id, lambda m: attendance.mark(g.db, m, int(person) if person.isdigit() else 0,
                                                         request.form.get("status", ""), now=g.now),
                   lambda m, row: "参会情况已更新。")


@bp.post("/joint-meetings/<int:meeting_id>/cancel")
def joint_meeting_cancel(meeting_id: int):
    """Cancel a 联席会议 not yet begun; everyone on its list is told (as `取消会议 M-…` in WeChat)."""
    return _change(meeting_id, lambda m: agenda.cancel(g.db, g.consortium, m.number, g.settings.meetings, now=g.now,
                                                       tz=g.settings.tz, sandbox=g.settings.sandbox)[1],
                   lambda m, notified: f"已取消 {m.number}，已通知{notified}人。")
