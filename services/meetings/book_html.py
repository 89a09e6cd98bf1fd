"""The printable index.html of a branch's 台账 book: A4 pages, a Chinese font stack, a cover with the
year's meetings and members' participation, then one meeting per page with its photos. All user text
is escaped; the page has no script."""
from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

STYLE = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", "Noto Sans CJK SC",
       "Microsoft YaHei", "PingFang SC", serif; font-size: 11pt; line-height: 1.6; color: #111; margin: 0; }
h1 { font-size: 20pt; text-align: center; margin: 40mm 0 6mm; }
h2 { font-size: 14pt; border-bottom: 1.5pt solid #b91c1c; padding-bottom: 2mm; }
.page { page-break-after: always; break-after: page; }
.page:last-child { page-break-after: auto; break-after: auto; }
table { width: 100%; border-collapse: collapse; font-size: 10pt; }
th, td { border: 0.5pt solid #555; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #f1f1f1; }
.meta { text-align: center; color: #444; }
.minutes { white-space: pre-wrap; border: 0.5pt solid #999; padding: 3mm; min-height: 30mm; }
.photos { display: flex; flex-wrap: wrap; gap: 3mm; margin-top: 4mm; }
.photos img { width: 84mm; height: 60mm; object-fit: cover; border: 0.5pt solid #999; break-inside: avoid; }
.empty { text-align: center; font-size: 14pt; margin-top: 30mm; }
@media screen { body { background: #eee; } .page { background: #fff; max-width: 178mm; margin: 8mm auto;
  padding: 14mm 16mm; box-shadow: 0 1px 4px rgba(0,0,0,.2); } }
"""
STATUS = {"present": "实到", "leave": "请假", "absent": "缺席"}


def _e(value) -> str:
    return escape(str(value if value is not None else ""), quote=True)


def _cover(branch: str, year: int, book: list, people: list[dict], now: datetime, tz: ZoneInfo) -> str:
    rows = "".join(f"<tr><td>{_e(b.summary['id'])}</td><td>{_e(b.summary['starts_at'][:16].replace('T', ' '))}</td>"
                   f"<td>{_e(b.summary['kind'])}</td><td>{_e(b.summary['title'])}</td>"
                   f"<td>{b.summary['present']}/{b.summary['expected']}</td></tr>" for b in book)
    members = "".join(f"<tr><td>{_e(p['name'])}</td><td>{p['expected']}</td><td>{p['present']}</td>"
                      f"<td>{p['leave']}</td><td>{p['absent']}</td></tr>" for p in people)
    listing = (f"<h2>会议目录（{len(book)}）</h2><table><tr><th>编号</th><th>时间</th><th>类型</th><th>主题</th>"
               f"<th>实到/应到</th></tr>{rows}</table>" if book else
               f'<p class="empty">{year} 年本支部没有记录任何会议。</p>')
    part = (f"<h2>党员参与</h2><table><tr><th>姓名</th><th>应参加</th><th>参加</th><th>请假</th><th>缺席</th></tr>"
            f"{members}</table>" if people else "")
    return (f'<section class="page"><h1>{_e(branch)}<br>{year} 年组织生活台账</h1>'
            f'<p class="meta">生成于 {now.astimezone(tz):%Y-%m-%d %H:%M}</p>{listing}{part}</section>')


def _meeting_page(b) -> str:
    s = b.summary
    groups = {k: [a for a in b.attendees if a["status"] == k] for k in STATUS}
    people = "".join(f"<tr><th>{label}（{len(groups[k])}）</th><td>"
                     + "、".join(_e(a["name"]) + (f"（{_e(a['reason'])}）" if a.get("reason") else "") for a in groups[k])
                     + "</td></tr>" for k, label in STATUS.items())
    photos = "".join(f'<img src="{_e(p)}" alt="会议照片">' for p in b.photos)
    late = "（补录）" if s["late_recorded"] else ""
    return (f'<section class="page"><h2>{_e(s["kind"])} · {_e(s["id"])}{late}</h2><table>'
            f'<tr><th>时间</th><td>{_e(s["starts_at"][:16].replace("T", " "))}</td></tr>'
            f'<tr><th>地点</th><td>{_e(s["place"])}</td></tr><tr><th>主题</th><td>{_e(s["title"])}</td></tr>'
            f'<tr><th>应到</th><td>{s["expected"]}</td></tr>{people}</table>'
            f'<h3>会议纪要</h3><div class="minutes">{_e(b.minutes) or "（未提交纪要）"}</div>'
            f'<div class="photos">{photos}</div></section>')


def render_index(branch: str, year: int, book: list, people: list[dict], *, now: datetime, tz: ZoneInfo) -> str:
    pages = _cover(branch, year, book, people, now, tz) + "".join(_meeting_page(b) for b in book)
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<title>{_e(branch)} {year} 年组织生活台账</title><style>{STYLE}</style></head>'
            f'<body>{pages}</body></html>')
