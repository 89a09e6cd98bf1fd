"""Organisational life (组织生活): the branch × month matrix of each meeting kind, a branch's meetings and
its members' participation for the year, one meeting's page, its photos (served from the database)."""
from __future__ import annotations

import io
from datetime import datetime

from flask import abort, g, render_template, request, send_file
from sqlalchemy import select

from models.org import Branch
from services.joint import review
from services.meetings import book, listing, matrix, media
from services.meetings import meetings as svc
from services.meetings.parse import MeetingError
from services.meetings.roster import DUTY_LABELS, STATUS_LABELS
from web.admin.base import bp

ATTENDANCE_LABELS = {"present": "实到", "leave": "请假", "absent": "缺席"}


def cons_arg() -> dict:
    """The ?consortium= a bureau account's links carry (office and viewer accounts have one consortium)."""
    return {"consortium": g.consortium.code} if g.admin.role == "bureau" else {}


def year_arg() -> int:
    value = request.args.get("year", "")
    this_year = g.now.astimezone(g.settings.tz).year
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else this_year


def own_branch(code: str) -> Branch:
    branch = g.db.scalar(select(Branch).where(Branch.consortium_id == g.consortium.id, Branch.code == code))
    if branch is None:
        abort(404)
    return branch


def due_columns(kind, year: int) -> int:
    """How many of the year's periods of `kind` have begun (later ones are not yet due)."""
    local = g.now.astimezone(g.settings.tz)
    if year != local.year:
        return len(matrix.columns(kind)) if year < local.year else 0
    return {"month": local.month, "quarter": (local.month - 1) // 3 + 1, "year": 1}[kind.every]


@bp.get("/orglife")
def orglife_page():
    year = year_arg()
    kinds = g.settings.meetings.branch_kinds
    if not kinds:
        abort(404)
    kind = next((k for k in kinds if k.code == request.args.get("kind")), kinds[0])
    rows = matrix.matrix(g.db, g.consortium.id, year, kind, g.settings.tz, until=g.now)
    return render_template("admin/orglife.html", year=year, kinds=kinds, kind=kind, rows=rows,
                           columns=matrix.columns(kind), due=due_columns(kind, year), ca=cons_arg(),
                           page_id="orglife")


@bp.get("/orglife/branches/<code>")
def orglife_branch(code: str):
    branch, year, tz = own_branch(code), year_arg(), g.settings.tz
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    rows = listing.query(g.db, branch_id=branch.id, start=start, end=end, newest_first=True)
    meetings = listing.summaries(g.db, rows, g.settings.meetings, now=g.now, tz=tz)
    people = matrix.participation(g.db, branch.id, year, tz, until=g.now)
    return render_template("admin/orglife_branch.html", branch=branch, year=year, meetings=meetings, people=people,
                           statuses=STATUS_LABELS, duties=DUTY_LABELS, ca=cons_arg(), page_id="orglife")


@bp.get("/meetings/<number>")
def meeting_page(number: str):
    try:
        meeting = svc.find(g.db, number, g.consortium.id)
    except MeetingError:
        abort(404)
    data = listing.detail(g.db, meeting, g.settings.meetings, now=g.now, tz=g.settings.tz)
    by_status = {s: [a for a in data["attendees"] if a["status"] == s] for s in ATTENDANCE_LABELS}
    return render_template("admin/meeting.html", meeting=meeting, data=data, by_status=by_status,
                           labels=ATTENDANCE_LABELS, photos=media.meeting_photos(g.db, meeting.id),
                           ca=cons_arg(), page_id="orglife")


@bp.get("/meetings/photos/<int:photo_id>")
def meeting_photo(photo_id: int):
    """A stored photo, only for accounts that see the meeting's consortium (any console role may look)."""
    found = media.meeting_photo_blob(g.db, photo_id)
    if found is None or found[0].consortium_id != g.consortium.id:
        abort(404)
    blob = found[1]
    response = send_file(io.BytesIO(blob.data), mimetype=blob.content_type, max_age=3600,
                         download_name=f"photo-{photo_id}")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/orglife/branches/<code>/book.zip")
def orglife_book(code: str):
    """The branch's 台账 book of the year (same as `export branch-book`); read-only, so every role may."""
    branch, year = own_branch(code), year_arg()
    buffer = io.BytesIO()
    text, _ = review.draft(g.db, branch, year, g.settings, now=g.now)
    book.write_book(g.db, branch, year, g.settings.meetings, buffer, now=g.now, tz=g.settings.tz, review_text=text)
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=book.book_filename(branch, year))
