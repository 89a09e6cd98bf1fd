"""`templates check`: the template messages of `delivery.templates` against the account's own list.

A configured template is `ok`, `missing` (no such template_id on the account) or `wrong` (it fills
fields the template's content has no `{{field.DATA}}` for); kinds declared without a template_id
are `unconfigured` (outside the 48-hour window their messages cannot be delivered).
"""
from __future__ import annotations

import re
from typing import Mapping

from core.config.delivery import TemplateConf

FIELD = re.compile(r"\{\{\s*(\w+)\.DATA\s*\}\}")


def template_fields(content: str) -> list[str]:
    """The field names of a template's content, in order ("{{thing1.DATA}}" -> "thing1")."""
    return FIELD.findall(content or "")


def check(configured: Mapping[str, TemplateConf], unconfigured: tuple[str, ...], account: list[dict]) -> dict:
    """Each outbox kind's verdict, and the account's templates (to pick from)."""
    by_id = {t.get("template_id"): t for t in account}
    kinds = []
    for kind, conf in configured.items():
        found = by_id.get(conf.template_id)
        ours = [name for name, _fmt, _limit in conf.fields]
        if found is None:
            kinds.append({"kind": kind, "template_id": conf.template_id, "status": "missing", "fields": ours,
                          "problem": "该 template_id 不在公众号的模板列表中"})
            continue
        theirs = template_fields(found.get("content", ""))
        extra = [f for f in ours if f not in theirs]
        kinds.append({"kind": kind, "template_id": conf.template_id, "title": found.get("title"),
                      "status": "wrong" if extra else "ok", "fields": ours, "template_fields": theirs,
                      **({"problem": f"模板内容中没有这些字段：{', '.join(extra)}"} if extra else {})})
    kinds += [{"kind": kind, "template_id": "", "status": "unconfigured",
               "problem": "未配置 template_id：48 小时窗口外的消息无法送达"} for kind in unconfigured]
    available = [{"template_id": t.get("template_id"), "title": t.get("title"),
                  "fields": template_fields(t.get("content", ""))} for t in account]
    return {"ok": all(k["status"] == "ok" for k in kinds), "kinds": kinds, "account_templates": available}
