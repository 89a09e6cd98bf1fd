"""`classify` and `keywords suggest`."""
from __future__ import annotations

import json
import sys

import click

from commands.base import emit, one_consortium, pass_env


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


WHO = click.option("--by", "who", default="命令行", show_default=True, help="Who decided (kept with the decision).")


@click.group()
def keywords() -> None:
    """Keyword rules maintenance: suggestions from corrections, the office's overlay."""


CONSORTIUM = click.option("--consortium", "consortium_code", default=None,
                          help="Consortium code (default: the first of config.yaml).")


def _consortium(env, session, code):
    return one_consortium(session, env.settings, code).id


def _decide(env, code, action) -> None:
    """Run `action(session, consortium_id)` in one transaction and print the decision as JSON."""
    from core.clock import utcnow
    from services.routing import learning
    with env.session() as session:
        cid = _consortium(env, session, code)
        try:
            row = action(session, cid, utcnow())
        except learning.LearningError as exc:
            raise click.ClickException(exc.message) from None
        session.commit()
        emit(learning.decision_dict(row))



@keywords.command("suggest")
@click.option("--json", "as_json", is_flag=True)
@click.option("--min-count", default=2, show_default=True)
@CONSORTIUM
@pass_env
def keywords_suggest(env, as_json, min_count, consortium_code) -> None:
    """Propose keywords per branch from the consortium's routing corrections (decided words left out)."""
    from services.routing import learning
    base = _rules(env)
    with env.session() as session:
        cid = _consortium(env, session, consortium_code)
        rules = learning.effective_rules(session, base, cid)
        found = learning.suggestions(session, rules, cid, min_count=min_count)
    result: dict[str, list[dict]] = {}
    for s in found:
        result.setdefault(s.branch, []).append({"word": s.word, "count": s.count,
                                                "examples": [text for _, text in s.evidence[:3]],
                                                "tasks": [number for number, _ in s.evidence]})
    if as_json:
        emit(result)
    else:
        for branch, items in result.items():
            click.echo(f"{branch}: " + "、".join(f"{i['word']}×{i['count']}" for i in items))


@keywords.command("accept")
@click.argument("word")
@click.option("--branch", required=True, help="Branch code, name or short form (医技, medtech).")
@click.option("--weight", default=3.0, show_default=True, type=float)
@click.option("--by", "who", default="命令行", show_default=True, help="Who decided (kept in the history).")
@CONSORTIUM
@pass_env
def keywords_accept(env, word, branch, weight, who, consortium_code) -> None:
    """WORD routes to BRANCH in the consortium; every web process picks it up within routing.overlay_refresh_seconds."""
    from services.routing import learning
    _decide(env, consortium_code, lambda s, cid, now: learning.accept(s, cid, word, branch, who=who, now=now,
                                                                        weight=weight))


def _withdrawal(name: str, doc: str) -> click.Command:
    """`keywords reject|undo WORD`: the same shape, a different decision of services.routing.learning."""
    @keywords.command(name, help=doc)
    @click.argument("word")
    @WHO
    @CONSORTIUM
    @pass_env
    def command(env, word, who, consortium_code) -> None:
        from services.routing import learning
        decide = getattr(learning, name)
        _decide(env, consortium_code, lambda s, cid, now: decide(s, cid, word, who=who, now=now))
    return command


keywords_reject = _withdrawal("reject", "WORD is not suggested again in the consortium.")
keywords_undo = _withdrawal("undo", "Withdraw the live accept/reject of WORD: routing and suggestions are as before it.")


@keywords.command("list")
@click.option("--json", "as_json", is_flag=True)
@CONSORTIUM
@pass_env
def keywords_list(env, as_json, consortium_code) -> None:
    """The consortium's keyword decisions, newest first, undone ones included."""
    from services.routing import learning
    with env.session() as session:
        rows = [learning.decision_dict(r) for r in learning.history(session, _consortium(env, session, consortium_code))]
    if as_json:
        emit(rows)
    else:
        for r in rows:
            click.echo(f"{r['at'][:16]} {r['word']} {r['decision']} {r['branch'] or ''} {r['who']}"
                       + (f" (撤销 {r['undone_at'][:16]} {r['undone_by']})" if r["undone_at"] else ""))


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
