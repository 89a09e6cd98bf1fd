"""The year-end 述职评议 draft in WeChat, for the branch's secretary: `述职` shows it with its paragraphs
numbered; `述职 3 新内容` rewrites paragraph 3; `述职 补充 内容` writes the 不足与下一步打算; `述职 重置`
goes back to the draft written from the records. The office edits the same text in the console."""
from __future__ import annotations

import re

from core.wechat import Inbound
from handlers.router import Context, Router, command, role
from services.joint import review

router = Router("review")
SECRETARY = role("secretary")
NUMBERED = re.compile(r"^第?(\d{1,2})段?\s*(.*)$", re.S)
LONG = 1500  # beyond this many characters the reply shows each paragraph's beginning
SHOWN = 60

HEADER = "{title}（{state}）"
STATES = {True: "已修改", False: "由系统根据台账生成"}
FOOTER = ("\n修改某一段：述职 段号 新内容（如：述职 2 全年开展结对活动6次……）\n"
          "填写不足与下一步打算：述职 补充 内容\n恢复系统生成的草稿：述职 重置\n后台「年度计划—述职评议材料」可打印。")
SAVED = "已保存。"
RESET = "已恢复为系统根据台账生成的草稿。"
ERRORS = {"empty": "请在段号或「补充」后写上内容。" + FOOTER,
          "no_paragraph": "没有第 {number} 段（共 {count} 段）。发送「述职」查看段号。"}


def _show(text: str, edited: bool, prefix: str = "") -> str:
    head, body = text.split("\n")[0], review.paragraphs(text)
    cut = len(text) > LONG
    lines = [f"{n}. {p[:SHOWN] + '…' if cut and len(p) > SHOWN else p}" for n, p in enumerate(body, 1)]
    return "\n".join([prefix + HEADER.format(title=head.replace("（草稿）", ""), state=STATES[edited]), *lines]) + FOOTER


@router.on(SECRETARY, command("述职"))
def review_draft(msg: Inbound, ctx: Context) -> str:
    branch, rest = ctx.member.branch, ctx.args["rest"].strip()
    year, numbered = review.review_year(ctx.now, ctx.settings), NUMBERED.match(rest)
    try:
        if rest == "重置":
            review.save(ctx.session, branch, year, "", now=ctx.now)
            prefix = RESET + "\n"
        elif rest.startswith("补充"):
            review.add_outlook(ctx.session, branch, year, ctx.settings, rest[2:], now=ctx.now)
            prefix = SAVED + "\n"
        elif numbered:
            number, new = numbered.groups()
            review.replace_paragraph(ctx.session, branch, year, ctx.settings, int(number), new, now=ctx.now)
            prefix = SAVED + "\n"
        else:
            prefix = ""
    except review.ReviewError as exc:
        return ERRORS[exc.code].format(**exc.info)
    text, edited = review.draft(ctx.session, branch, year, ctx.settings, now=ctx.now)
    return _show(text, edited, prefix)


def help_section(ctx: Context) -> str:
    return "\n【述职】述职：查看和修改本支部年度述职评议材料草稿" if ctx.member.role == "secretary" else ""
