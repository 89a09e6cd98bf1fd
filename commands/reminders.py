"""`scheduler`, `schedule list`, `schedule fire`, `event add`: reminders and the task deadline sweep."""
from __future__ import annotations

import json
import logging
import signal
from datetime import datetime

import click

from commands.base import emit, pass_env

from core.clock import utcnow
from core.config import Settings
from core.config.schedules import check_audience
from models.db import create_schema, make_engine, make_session_factory
from scheduler import jobs
from scheduler.runner import build_scheduler
from services.reminders.schedules import schedule_rows
from services.reminders import fanout as reminders
from services.shared.workdays import warn_coverage

log = logging.getLogger("tongxin.scheduler")


def _instant(text: str, settings: Settings) -> datetime:
    """ISO 8601; a time without offset is read in the configured time zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected ISO 8601 such as 2026-12-25T09:00+08:00, got {text!r}") from None
    return value.replace(tzinfo=settings.tz) if value.tzinfo is None else value


@click.command("scheduler")
@pass_env
def scheduler_cmd(env) -> None:
    """Run the scheduler process (reminders, event notices, task deadline sweep). Blocks."""
    engine = make_engine(env.settings.database_url)
    create_schema(engine)
    scheduler = build_scheduler(env.settings, make_session_factory(engine))
    runner = scheduler.tongxin_runner

    def stop(signum, _frame) -> None:
        log.info("scheduler: signal %s, shutting down", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler %s started with %d schedules", runner.holder, len(runner.schedules))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runner.close()


@click.group("schedule")
def schedule_group() -> None:
    """Reminder schedules of config.yaml."""


@schedule_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.option("--from", "start", help="Compute fire times after this instant (ISO 8601; default now).")
@pass_env
def schedule_list(env, as_json, start) -> None:
    settings = env.settings
    after = _instant(start, settings) if start else utcnow()
    warn_coverage(after.astimezone(settings.tz).date())
    rows = schedule_rows(settings, after)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:<20} {r['kind']:<15} {r['to']:<12} " + "  ".join(r["next"]))


@schedule_group.command("fire")
@click.argument("name")
@click.option("--at", "at", required=True, help="The instant to run as, e.g. 2026-12-25T09:00+08:00.")
@pass_env
def schedule_fire(env, name, at) -> None:
    """Run one schedule (or `escalation`, `events`) by hand at AT; prints {"queued": N}."""
    settings = env.settings
    when = _instant(at, settings)
    with env.session() as session:
        if name == "escalation":
            queued = jobs.sweep_escalations(session, settings, now=when)
        elif name == "events":
            queued = jobs.remind_events(session, settings, now=when, window=_window(settings))
        else:
            schedule = next((s for s in settings.schedules if s.name == name), None)
            if schedule is None:
                names = ", ".join([s.name for s in settings.schedules] + ["escalation", "events"])
                raise click.ClickException(f"no schedule {name!r}; known: {names}")
            queued = jobs.fire_at(session, settings, schedule, when, runner="cli")
        session.commit()
    click.echo(json.dumps({"queued": queued}))  # one line, exactly as documented


@click.group("event")
def event_group() -> None:
    """One-off events with reminders before them."""


@event_group.command("add")
@click.option("--title", required=True)
@click.option("--at", "at", required=True, help="When the event takes place (ISO 8601).")
@click.option("--notify", default="secretaries", show_default=True,
              help="secretaries | office | members | everyone | paired | role:x | branch:code | unit:CODE")
@click.option("--before", default="1d", show_default=True, help="Reminders ahead of it, e.g. 3d,1h,30m.")
@pass_env
def event_add(env, title, at, notify, before) -> None:
    settings = env.settings
    try:
        offsets = reminders.parse_offsets(before)
        check_audience(notify, "--notify")
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    except Exception as exc:  # ConfigError naming --notify
        raise click.BadParameter(str(exc)) from None
    with env.session() as session:
        event = reminders.add_event(session, title=title, at=_instant(at, settings), notify=notify,
                                    before=offsets, now=utcnow())
        session.commit()
        planned = reminders.planned_reminders(event)
    emit({"id": event.id, "title": event.title, "at": event.at.astimezone(settings.tz).isoformat(),
          "notify": notify, "reminders": [{"before": label, "at": when.astimezone(settings.tz).isoformat()}
                                          for label, when in planned]})


def _window(settings: Settings):
    return settings.scheduler.catch_up


COMMANDS = (scheduler_cmd, schedule_group, event_group)
