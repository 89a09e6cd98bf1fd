"""Photos of meetings and 结对 activities are downloaded through the real wechatpy client from the fake
WeChat API (`media/get`) into the database, deduplicated by sha256; an expired id is recorded as failed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot import create_app
from core.token_store import MemoryTokenStore
from core.wechat_client import make_wechat_client
from models.party import MediaBlob, PhotoFetch
from services.demo import seed as demo_svc
from services.org import structure as org
from services.meetings import media
from tests.support.fake_wechat_api import FakeWeChatAPI
from tests.support.wechat_sim import WeChatSim
from tests.test_delivery import APPID, SECRET, delivery_settings

JPEG = b"\xff\xd8\xff\xe0" + b"tongxin-photo" * 50


@pytest.fixture
def api():
    with FakeWeChatAPI(appid=APPID, secret=SECRET) as server:
        yield server


def demo_app(settings, now: datetime):
    """The app at a fixed clock with the demo consortium seeded: (app, session factory)."""
    app = create_app(settings, clock=lambda: now)
    factory = app.extensions["tongxin"].session_factory
    with factory() as s:
        org.sync_org(s, settings)
        demo_svc.seed(s, settings, now=now)
        s.commit()
    return app, factory


@pytest.mark.pg
def test_photos_are_stored_once_and_expired_ids_fail_visibly(tmp_path, db_url, api):
    settings = delivery_settings(tmp_path, db_url, api.base_url)
    now = datetime(2026, 12, 18, 8, 30, tzinfo=timezone.utc)
    app, factory = demo_app(settings, now)
    api.add_media("photo-1", JPEG)
    api.add_media("photo-2", JPEG)  # the same file again
    with factory() as s:
        from models.party import Meeting
        cons = org.consortium_by_code(s, "linxi")
        branch = org.branch_by_code(s, cons.id, "maternal")
        meeting = Meeting(consortium_id=cons.id, branch_id=branch.id, kind="committee", starts_at=now, created_at=now,
                          minutes="纪要", minutes_at=now)
        s.add(meeting)
        s.commit()
        for mid in ("photo-1", "photo-2", "gone"):
            media.attach_photo(s, meeting, inbound_id=None, media_id=mid, pic_url="", now=now)
        s.commit()
    client = make_wechat_client(settings, MemoryTokenStore(APPID), timeout=2)
    totals = media.fetch_due(factory, client, clock=lambda: now)
    assert totals == {"stored": 2, "failed": 1, "retry": 0}
    with factory() as s:
        rows = {f.media_id: f for f in s.scalars(select(PhotoFetch))}
        assert rows["photo-1"].blob_id == rows["photo-2"].blob_id is not None
        assert rows["gone"].status == "failed" and "40007" in rows["gone"].error
        blob = s.get(MediaBlob, rows["photo-1"].blob_id)
        assert blob.data == JPEG and blob.content_type == "image/jpeg"
        assert len(s.scalars(select(MediaBlob)).all()) == 1
    assert media.fetch_due(factory, client, clock=lambda: now + timedelta(hours=1)) == \
        {"stored": 0, "failed": 0, "retry": 0}  # nothing retried forever
    assert len(api.calls_to("media/get")) == 3
    app.extensions["tongxin"].close()


def test_activity_photos_already_attached_are_fetched(tmp_path, db_url, api):
    settings = delivery_settings(tmp_path, db_url, api.base_url)
    now = datetime(2026, 12, 6, 2, 0, tzinfo=timezone.utc)
    app, factory = demo_app(settings, now)
    wechat = WeChatSim(app.test_client(), settings.wechat.token)
    wechat.send("义诊 2026-12-05 白沙村卫生室 接诊120", user="demo-sec-public_health")
    wechat.send("确认", user="demo-sec-public_health")
    wechat.post_xml(wechat.xml("demo-sec-public_health", "image", PicUrl="http://x/p.jpg", MediaId="act-1",
                               MsgId=555001))
    api.add_media("act-1", JPEG, "image/png")
    client = make_wechat_client(settings, MemoryTokenStore(APPID), timeout=2)
    assert media.fetch_due(factory, client, clock=lambda: now)["stored"] == 1
    with factory() as s:
        fetch = s.scalar(select(PhotoFetch))
        assert (fetch.source, fetch.status) == ("activity", "stored")
    app.extensions["tongxin"].close()
