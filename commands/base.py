"""What every CLI command shares: the lazily built environment (settings, sessions) and JSON output."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from core.config import Settings, load_settings
from models.db import create_schema, make_engine, make_session_factory
from services.shared.spreadsheets import SheetError


def emit(data: Any) -> None:
    """JSON on stdout; logs go to stderr."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def instant(text: str, settings: Settings) -> datetime:
    """ISO 8601; a time without offset is read in the configured time zone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"expected ISO 8601 such as 2026-12-25T09:00+08:00, got {text!r}") from None
    return value.replace(tzinfo=settings.tz) if value.tzinfo is None else value


class Env:
    """Lazily built settings and session factory for CLI commands."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._factory = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def session(self):
        if self._factory is None:
            engine = make_engine(self.settings.database_url)
            create_schema(engine)
            self._factory = make_session_factory(engine)
        return self._factory()


pass_env = click.make_pass_decorator(Env, ensure=True)


def chosen_consortia(session, code: str | None) -> list:
    """Every consortium (code None), or the one named by --consortium; a wrong code names the known ones."""
    from sqlalchemy import select

    from models.org import Consortium
    rows = list(session.scalars(select(Consortium).order_by(Consortium.id)))
    if code is None:
        return rows
    chosen = [c for c in rows if c.code == code]
    if not chosen:
        raise click.BadParameter(f"unknown consortium {code!r} (known: {', '.join(c.code for c in rows)})",
                                 param_hint="--consortium")
    return chosen


def consortium_id(session, settings: Settings, code: str | None) -> int | None:
    """The id of --consortium (None: no filter), after loading the organisation of config.yaml."""
    if not code:
        return None
    from services.org import structure as org
    org.sync_org(session, settings)
    return chosen_consortia(session, code)[0].id


def apply_change(env: Env, change, *errors: type[Exception]):
    """Run `change(session)` and commit; a domain error becomes a one-line CLI error, nothing written."""
    with env.session() as session:
        try:
            result = change(session)
        except errors as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        return result


def emit_rows(rows: list[dict], as_json: bool, line) -> None:
    """`--json`: the rows as JSON; otherwise one line of text per row."""
    if as_json:
        emit(rows)
        return
    for row in rows:
        click.echo(line(row))


def rows_refused(what: str, exc) -> click.ClickException:
    """A refused import (SheetError): every bad row by number, and that nothing was written."""
    lines = [f"第 {r} 行：{p}" if r else p for r, p in exc.problems]
    return click.ClickException(f"{what}未导入（没有写入任何一行）：\n" + "\n".join(lines))


def one_consortium(session, settings: Settings, code: str | None):
    """The consortium named by --consortium (None: the first of config.yaml), after loading the organisation."""
    from services.org import structure as org
    org.sync_org(session, settings)
    return org.consortium_by_code(session, None) if code is None else chosen_consortia(session, code)[0]


def import_sheet(env: Env, consortium: str | None, what: str, do_import) -> None:
    """`… import --file F.xlsx`: `do_import(session, consortium)` or nothing at all; prints the counts as JSON."""
    with env.session() as session:
        cons = one_consortium(session, env.settings, consortium)
        try:
            result = do_import(session, cons)
        except SheetError as exc:
            session.rollback()
            raise rows_refused(what, exc) from None
        session.commit()
    emit({"consortium": cons.code, **result})
