"""Photos of meetings and 结对 activities: attach, then download from WeChat (`media/get`) before the
media id expires (3 days) into the database (`media_blobs`, deduplicated by sha256), so that every web
process on every host can serve them and a database backup includes them. A failure is recorded on the
`photo_fetches` row (status failed + error) after a bounded number of tries; nothing retries forever."""
from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config.meetings import MeetingsConf
from models.pairing import ActivityPhoto
from models.party import MediaBlob, Meeting, MeetingPhoto, PhotoFetch

log = logging.getLogger("tongxin.media")
MEDIA_TTL = timedelta(days=3)
MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=1)  # times the number of attempts so far
STALE_CLAIM = timedelta(minutes=5)
EXPIRED = frozenset({40007})
SOURCES = {"meeting": MeetingPhoto, "activity": ActivityPhoto}


def photo_target(session: Session, scope: ColumnElement[bool], conf: MeetingsConf, *,
                 now: datetime) -> Meeting | None:
    """The meeting a photo belongs to, among the meetings `scope` selects (a secretary's branch, the
    consortium's 联席会议): the one whose 纪要 was just sent, else one in progress."""
    base = select(Meeting).where(scope, Meeting.status == "scheduled")
    recent = session.scalars(base.where(Meeting.minutes_at >= now - timedelta(minutes=conf.photo_minutes))
                             .order_by(Meeting.minutes_at.desc()).limit(1)).first()
    if recent is not None:
        return recent
    return session.scalars(base.where(
        Meeting.starts_at <= now + timedelta(minutes=conf.checkin_before_minutes),
        Meeting.starts_at >= now - timedelta(minutes=conf.checkin_after_minutes))
        .order_by(Meeting.starts_at.desc()).limit(1)).first()


def attach_photo(session: Session, meeting: Meeting, *, inbound_id: int | None, media_id: str, pic_url: str,
                 now: datetime) -> MeetingPhoto:
    photo = MeetingPhoto(meeting_id=meeting.id, inbound_id=inbound_id, media_id=media_id[:128], pic_url=pic_url,
                         created_at=now)
    session.add(photo)
    session.flush()
    session.add(PhotoFetch(source="meeting", photo_id=photo.id, media_id=photo.media_id, created_at=now,
                           updated_at=now))
    session.flush()
    return photo


def store_blob(session: Session, data: bytes, content_type: str, *, now: datetime) -> MediaBlob:
    """The blob with these bytes (one row per distinct file, whoever stored it first)."""
    digest = hashlib.sha256(data).hexdigest()
    blob = session.scalar(select(MediaBlob).where(MediaBlob.sha256 == digest))
    if blob is not None:
        return blob
    try:
        with session.begin_nested():
            blob = MediaBlob(sha256=digest, content_type=content_type[:64], size=len(data), data=data,
                             created_at=now)
            session.add(blob)
    except IntegrityError:  # stored concurrently by another worker
        blob = session.scalar(select(MediaBlob).where(MediaBlob.sha256 == digest))
    return blob


def enqueue_missing(session: Session, *, now: datetime) -> int:
    """A fetch row for every photo (meeting or activity) that has none yet; ids older than 3 days fail."""
    added = 0
    for source, model in SOURCES.items():
        known = select(PhotoFetch.photo_id).where(PhotoFetch.source == source)
        for photo in session.scalars(select(model).where(model.id.not_in(known)).order_by(model.id).limit(500)):
            late = photo.created_at < now - MEDIA_TTL or not photo.media_id
            session.add(PhotoFetch(source=source, photo_id=photo.id, media_id=photo.media_id or "",
                                   status="failed" if late else "pending",
                                   error="媒体编号已超过3天有效期，未能下载" if late else "",
                                   created_at=now, updated_at=now))
            added += 1
    session.flush()
    return added


def _due(session: Session, *, now: datetime, limit: int) -> list[int]:
    rows = session.execute(select(PhotoFetch.id, PhotoFetch.attempts, PhotoFetch.updated_at, PhotoFetch.status)
                           .where(PhotoFetch.status.in_(("pending", "fetching"))).order_by(PhotoFetch.id)
                           .limit(limit * 4)).all()
    due = [i for i, attempts, at, status in rows
           if (status == "pending" and at <= now - RETRY_AFTER * attempts)
           or (status == "fetching" and at <= now - STALE_CLAIM)]
    return due[:limit]


def _claim(session: Session, fetch_id: int, *, now: datetime) -> PhotoFetch | None:
    done = session.execute(update(PhotoFetch).where(PhotoFetch.id == fetch_id,
                                                    PhotoFetch.status.in_(("pending", "fetching")))
                           .values(status="fetching", updated_at=now, attempts=PhotoFetch.attempts + 1))
    return session.get(PhotoFetch, fetch_id) if done.rowcount == 1 else None


def _fail(row: PhotoFetch, exc: Exception, *, now: datetime) -> None:
    errcode = getattr(exc, "errcode", None)
    final = errcode in EXPIRED or row.attempts >= MAX_ATTEMPTS
    row.status = "failed" if final else "pending"
    row.error = (f"媒体已过期或无效（{errcode}）" if errcode in EXPIRED else str(exc))[:500]
    row.updated_at = now
    log.warning("photo %s:%s download failed (%s, attempt %d): %s", row.source, row.photo_id,
                row.status, row.attempts, row.error)


def fetch_due(factory, api, *, clock, limit: int = 20) -> dict[str, int]:
    """One pass: enqueue new photos, download what is due, one short transaction per photo."""
    totals = {"stored": 0, "failed": 0, "retry": 0}
    with factory() as session:
        enqueue_missing(session, now=clock())
        session.commit()
        due = _due(session, now=clock(), limit=limit)
    for fetch_id in due:
        with factory() as session:
            row = _claim(session, fetch_id, now=clock())
            session.commit()
            if row is None:
                continue
            try:
                data, content_type = api.download_media(row.media_id)
                if not content_type.startswith("image/"):
                    raise ValueError(f"not an image: {content_type}")
            except Exception as exc:  # WeChatApiError, network, wrong content: recorded on the row
                _fail(row, exc, now=clock())
                totals["failed" if row.status == "failed" else "retry"] += 1
            else:
                row.blob_id = store_blob(session, data, content_type, now=clock()).id
                row.status, row.error, row.updated_at = "stored", "", clock()
                totals["stored"] += 1
            session.commit()
    return totals


def photo_blobs(session: Session, source: str, photo_ids: list[int]) -> dict[int, PhotoFetch]:
    if not photo_ids:
        return {}
    rows = session.scalars(select(PhotoFetch).where(PhotoFetch.source == source,
                                                    PhotoFetch.photo_id.in_(photo_ids)))
    return {r.photo_id: r for r in rows}


def meeting_photos(session: Session, meeting_id: int) -> list[dict]:
    """The photos of one meeting, oldest first: {"id", "status" (pending|fetching|stored|failed), "error"}."""
    ids = list(session.scalars(select(MeetingPhoto.id).where(MeetingPhoto.meeting_id == meeting_id)
                               .order_by(MeetingPhoto.id)))
    fetches = photo_blobs(session, "meeting", ids)
    return [{"id": i, "status": fetches[i].status if i in fetches else "pending",
             "error": fetches[i].error if i in fetches else ""} for i in ids]


def meeting_photo_blob(session: Session, photo_id: int) -> tuple[Meeting, MediaBlob] | None:
    """The meeting a stored photo belongs to and its bytes; None when unknown or not (yet) stored."""
    row = session.execute(select(Meeting, MediaBlob).join(MeetingPhoto, MeetingPhoto.meeting_id == Meeting.id)
                          .join(PhotoFetch, (PhotoFetch.source == "meeting") & (PhotoFetch.photo_id == MeetingPhoto.id))
                          .join(MediaBlob, MediaBlob.id == PhotoFetch.blob_id)
                          .where(MeetingPhoto.id == photo_id, PhotoFetch.status == "stored")).first()
    return (row[0], row[1]) if row else None
