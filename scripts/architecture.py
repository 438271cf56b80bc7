"""Architecture figures for step 11's closing note: ``python scripts/architecture.py``.

Reads the source of ``app/`` with ``ast`` (nothing is imported) and prints:
import cycles between areas (module-level, and counting imports placed inside
functions), in-function imports that cross areas, workflows declared on the
engine, places that define a deadline, commits outside the request edge and the
job runner, ``select`` calls in views, and the five largest modules.
"""
from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
# The request edge and the job runner: the only places of the app allowed to commit.
EDGE = {"app/core/edge.py", "app/core/jobs.py", "app/core/documents.py"}


def operational(rel: str) -> bool:
    """CLI commands, demo data and the scale generator: each command commits its own unit of work."""
    return rel.startswith(("app/ops/", "app/scale/")) or rel.endswith(("/cli.py", "/demo.py"))


def area_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return "app"
    return parts[1] if (APP / parts[1]).is_dir() else "app"


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(current: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(path: Path):
    """Yield (target module, inside_function) for every import of app code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    current = module_name(path)
    is_pkg = path.name == "__init__.py"

    def walk(node, in_func):
        for child in ast.iter_child_nodes(node):
            nested = in_func or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("app"):
                        yield alias.name, in_func
            elif isinstance(child, ast.ImportFrom):
                target = resolve(current, is_pkg, child)
                if target.startswith("app"):
                    yield target, in_func
                    for alias in child.names:  # "from app import intake" names a package
                        if target == "app" and (APP / alias.name).is_dir():
                            yield f"app.{alias.name}", in_func
            else:
                yield from walk(child, nested)

    yield from walk(tree, False)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main() -> None:
    files = sorted(APP.rglob("*.py"))
    area_top: dict[str, set[str]] = defaultdict(set)
    area_all: dict[str, set[str]] = defaultdict(set)
    mod_top: dict[str, set[str]] = defaultdict(set)
    cross_in_func = 0
    in_func_total = 0
    for path in files:
        src = module_name(path)
        a = area_of(src)
        for target, in_func in imports(path):
            b = area_of(target)
            in_func_total += in_func
            if not in_func:
                mod_top[src].add(target)
            if a != b and a != "app" and b != "app":
                area_all[a].add(b)
                if in_func:
                    cross_in_func += 1
                else:
                    area_top[a].add(b)
    mods = {module_name(p) for p in files}
    mod_graph = {m: {t for t in ts if t in mods} for m, ts in mod_top.items()}
    print("## Import graph")
    print(f"modules: {len(files)}")
    top_cycles = cycles(area_top)
    all_cycles = cycles(area_all)
    print(f"area cycles, module-level imports: {len(top_cycles)} {top_cycles}")
    print(f"area cycles, counting in-function imports: {len(all_cycles)} {all_cycles}")
    mc = cycles(mod_graph)
    print(f"module cycles (module-level imports): {len(mc)} "
          f"{[len(c) for c in mc]} modules")
    print(f"imports inside functions: {in_func_total}; crossing areas: {cross_in_func}")
    core_deps = sorted(area_all.get("core", ()))
    print(f"areas core imports: {len(core_deps)} {core_deps}")

    print("\n## Workflows, deadlines, commits, selects")
    workflow_decl = 0
    deadline_places = []
    commits = defaultdict(int)
    edge_commits = defaultdict(int)
    ops_commits = defaultdict(int)
    view_selects = defaultdict(int)
    deadline_re = re.compile(r"(timedelta\((hours|days)=\d|add_working_days\(|working_days_after\(|_HOURS\s*=|_DAYS\s*=)")
    for path in files:
        rel = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        workflow_decl += len(re.findall(r"^\w+\s*=\s*Workflow\(", text, re.M))
        if "/scale/" not in rel:
            for n, line in enumerate(text.splitlines(), 1):
                if deadline_re.search(line) and not line.lstrip().startswith("#"):
                    deadline_places.append(f"{rel}:{n}")
        c = text.count("session.commit()")
        if c:
            (edge_commits if rel in EDGE else ops_commits if operational(rel) else commits)[rel] += c
        if path.name in ("views.py", "public_views.py", "api.py", "reference_admin.py"):
            s = len(re.findall(r"\bselect\(", text))
            if s:
                view_selects[rel] += s
    print(f"workflows declared on the engine: {workflow_decl}")
    print(f"lines that define a deadline (timedelta literal / working-day call / *_HOURS, *_DAYS): "
          f"{len(deadline_places)} in {len({p.split(':')[0] for p in deadline_places})} files")
    for p in deadline_places:
        print(f"  {p}")
    print(f"commits in the request edge and job runner: {sum(edge_commits.values())} "
          f"({', '.join(f'{f} {c}' for f, c in sorted(edge_commits.items()))})")
    print(f"commits in operational code (CLI, demo data): {sum(ops_commits.values())} "
          f"({', '.join(f'{f} {c}' for f, c in sorted(ops_commits.items()))})")
    print(f"commits elsewhere (services, views, …): {sum(commits.values())} in {len(commits)} files")
    for f, c in sorted(commits.items(), key=lambda kv: -kv[1]):
        print(f"  {c:3d} {f}")
    print(f"select calls in views: {sum(view_selects.values())}")
    for f, c in sorted(view_selects.items(), key=lambda kv: -kv[1]):
        print(f"  {c:3d} {f}")
    print("\n## Largest modules")
    sizes = sorted(((len(p.read_text(encoding='utf-8').splitlines()), str(p.relative_to(ROOT))) for p in files),
                   reverse=True)[:5]
    for n, f in sizes:
        print(f"  {n:5d} {f}")


if __name__ == "__main__":
    main()
