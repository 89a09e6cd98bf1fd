"""Imports flow one way (style.md): core <- models/routing <- services <- front ends <- bot.py.

Read with `ast`, so lazy imports inside functions count too. Also: no import cycles between
our modules, and Flask only in bot.py, handlers/webhook.py and web/.
"""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

LAYERS = ("core", "models", "routing", "services", "handlers", "scheduler", "web", "commands")
ALLOWED = {
    "core": {"core"},
    "models": {"core", "models"},
    "routing": {"core", "routing"},
    "services": {"core", "models", "routing", "services"},
    "handlers": {"core", "models", "routing", "services", "handlers"},
    "scheduler": {"core", "models", "routing", "services", "scheduler"},
    "web": {"core", "models", "routing", "services", "web"},
    "commands": {"core", "models", "routing", "services", "commands", "scheduler"},
}
FLASK_ALLOWED = ("bot.py", "handlers/webhook.py", "web/")
WEB_ONLY = ("flask", "werkzeug")


def _modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            found[".".join(parts)] = path
    found["bot"] = ROOT / "bot.py"
    return found


def _imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Our modules that `path` imports (absolute and relative), resolved to the longest known name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    result = set()
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            parts = target.split(".")
            for i in range(len(parts), 0, -1):
                candidate = ".".join(parts[:i])
                if candidate in known:
                    result.add(candidate)
                    break
    result.discard(name)
    return result


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(path, name, known) for name, path in known.items()}


def test_imports_flow_one_way():
    wrong = []
    for name, deps in _graph().items():
        layer = name.split(".")[0]
        for dep in deps:
            if dep == "bot":
                wrong.append(f"{name} imports bot.py")
            elif layer in ALLOWED and dep.split(".")[0] not in ALLOWED[layer]:
                wrong.append(f"{name} -> {dep}")
    assert not wrong, "layering violations:\n" + "\n".join(sorted(wrong))


def test_no_import_cycles():
    graph = _graph()
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_flask_only_at_the_web_edges():
    wrong = []
    for name, path in _modules().items():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(FLASK_ALLOWED) or rel == "bot.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(m.split(".")[0] in WEB_ONLY for m in mods):
                wrong.append(f"{rel}: {mods}")
    assert not wrong, "flask/werkzeug outside the web edges:\n" + "\n".join(wrong)
