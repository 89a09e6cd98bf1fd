"""The database goes away mid-run: WeChat is still answered, messages are spooled, replay loses none."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select

from bot import create_app
from handlers import texts
from handlers.webhook import replay_spool
from models.message import InboundMessage
from models.task import Task
from services.demo import seed as demo_svc
from services.org import structure as org
from tests.conftest import make_settings
from tests.support.tcp_proxy import TcpProxy
from tests.support.wechat_sim import WeChatSim


def test_database_outage_loses_nothing(tmp_path, pg_url, clock):
    parts = urlsplit(pg_url)
    proxy = TcpProxy(parts.hostname, parts.port or 5432)
    via_proxy = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    from tests.conftest import clean_pg
    clean_pg(pg_url)
    settings = make_settings(tmp_path, via_proxy)
    app = create_app(settings, clock=clock)
    state = app.extensions["tongxin"]
    with state.session_factory() as s:
        org.sync_org(s, settings)
        demo_svc.seed(s, settings, now=clock())
        s.commit()
    sim = WeChatSim(app.test_client(), settings.wechat.token)
    members = ["demo-member-BSZ", "demo-member-QSZ", "demo-member-HTX"]
    texts_sent = []

    def send(i: int) -> str:
        text = f"第{i}号：我们的B超机坏了开不了机，请后勤来修"
        texts_sent.append(text)
        clock.now += timedelta(minutes=4)  # each member writes every 12 minutes: no bursts
        return sim.send(text, user=members[i % 3], msg_id=90_000 + i)

    replies = [send(i) for i in range(20)]
    proxy.block()
    down = [send(i) for i in range(20, 40)]
    retry_while_down = sim.send(texts_sent[25], user=members[25 % 3], msg_id=90_025)  # WeChat retries one
    proxy.unblock()
    after = [send(i) for i in range(40, 50)]
    assert all(r and "T-" in r for r in replies + after), [r[:12] for r in replies + after if not (r and "T-" in r)]
    assert all(r == texts.LATER for r in down) and retry_while_down == texts.LATER
    assert state.spool.pending() == 21
    result = replay_spool(state)
    assert result["replayed"] == 20 and result["duplicates"] == 1
    assert state.spool.pending() == 0
    with state.session_factory() as s:
        assert s.scalar(select(func.count(InboundMessage.id))) == 50
        assert s.scalar(select(func.count(Task.id))) == 50
        assert sorted(s.scalars(select(Task.text)).all()) == sorted(set(texts_sent))
    assert replay_spool(state)["replayed"] == 0  # a second replay stores nothing
    state.close()
    proxy.close()
