"""`classify` and `keywords suggest`."""
from __future__ import annotations

import json
import sys

import click

from commands.base import emit, pass_env


def _rules(env):
    from services.routing.setup import load_routing
    return load_routing(env.settings)


@click.command()
@click.argument("text", required=False)
@click.option("--file", "file_", type=click.File("r", encoding="utf-8"),
              help='JSONL of {"id","text"}: one decision per line.')
@click.option("--eval", "eval_", type=click.File("r", encoding="utf-8"),
              help='JSONL of {"id","text","label"}: a JSON summary.')
@pass_env
def classify(env, text, file_, eval_) -> None:
    """Route a text to a branch (or triage) and explain why."""
    import routing
    rules = _rules(env)
    if eval_ is not None:
        emit(routing.evaluate(_read_jsonl(eval_), rules))
    elif file_ is not None:
        for rec in _read_jsonl(file_):
            d = routing.classify(rec.get("text", ""), rules).to_dict()
            sys.stdout.write(json.dumps({"id": rec.get("id"), "branch": d["branch"],
                                         "confidence": d["confidence"], "keywords": d["keywords"]},
                                        ensure_ascii=False) + "\n")
    elif text is not None:
        emit(routing.classify(text, rules).to_dict())
    else:
        raise click.UsageError("give TEXT, --file F.jsonl or --eval F.jsonl")


@click.group()
def keywords() -> None:
    """Keyword rules maintenance."""


@keywords.command("suggest")
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-count", default=2, show_default=True)
@pass_env
def keywords_suggest(env, as_json, min_count) -> None:
    """Propose keywords per branch from routing corrections (nothing changes automatically)."""
    import routing
    from services.tasks import lifecycle as tasks
    rules = _rules(env)
    with env.session() as session:
        corrections = tasks.corrections(session)
    result = routing.suggest_keywords(corrections, rules, min_count=min_count)
    if as_json:
        emit(result)
    else:
        for branch, items in result.items():
            click.echo(f"{branch}: " + "、".join(f"{i['word']}×{i['count']}" for i in items))


def _read_jsonl(handle) -> list[dict]:
    rows = []
    for n, line in enumerate(handle, 1):
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"line {n}: not JSON ({exc.msg})") from None
    return rows


COMMANDS = (classify, keywords)
