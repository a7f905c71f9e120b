"""How the project's top-level packages import each other: the check behind "dependencies point one way".

An import graph built with `ast` (nothing is imported or run): every module of the
project's packages, without migrations, tests and test helpers (`testing/`). An edge
is one module importing another module of a different package (`from a.b import c`
names module `a.b.c` when that is a module, else `a.b`; imports inside functions
count too). Prints

    app_graph: modules=… cross_app_edges=… app_pairs=… two_way_pairs=…

`app_pairs` counts the ordered (importer, imported) package pairs, `two_way_pairs`
the pairs of packages that import each other. `--edges` lists the package pairs
with their edge counts; `--two-way` the edges of each two-way pair.

    python bench/app_graph.py [--edges] [--two-way] [ROOT]
"""

import argparse
import ast
import collections
import sys
from pathlib import Path

SKIPPED_PARTS = {"migrations", "tests", "testing"}
NOT_APPS = {"bench", "tools", "node_modules", "static", "templates"}


def apps_of(root: Path) -> list[str]:
    """The project's packages: the folders beside manage.py with an __init__.py."""
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir()
        and (p / "__init__.py").exists()
        and p.name not in NOT_APPS
        and not p.name.startswith(".")
    )


def modules_of(root: Path, apps: list[str]) -> dict[str, Path]:
    modules = {}
    for app in apps:
        for path in (root / app).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if SKIPPED_PARTS & set(parts):
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [
                f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source for a in node.names
            ]
        else:
            continue
        for target in targets:
            # `import a.b.c` of a name that is not a module: its nearest module.
            while target and target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules:
                found.add(target)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=Path(__file__).resolve().parent.parent, type=Path)
    parser.add_argument("--edges", action="store_true", help="list the package pairs and their edge counts")
    parser.add_argument("--two-way", action="store_true", help="list the edges of each two-way pair")
    args = parser.parse_args()
    apps = apps_of(args.root)
    modules = modules_of(args.root, apps)
    edges = {
        (source, target)
        for source, path in modules.items()
        for target in imported(source, path, modules)
        if source.split(".")[0] != target.split(".")[0]
    }
    pairs = collections.Counter((s.split(".")[0], t.split(".")[0]) for s, t in edges)
    two_way = sorted({tuple(sorted(p)) for p in pairs if p[::-1] in pairs})
    if args.edges:
        for (source, target), count in sorted(pairs.items()):
            mark = "  two-way" if (target, source) in pairs else ""
            print(f"{source:>10} -> {target:<10} {count:3}{mark}")
    if args.two_way:
        for a, b in two_way:
            print(f"{a} <-> {b}")
            for s, t in sorted(edges):
                if {s.split(".")[0], t.split(".")[0]} == {a, b}:
                    print(f"    {s} -> {t}")
    print(
        f"app_graph: modules={len(modules)} cross_app_edges={len(edges)} "
        f"app_pairs={len(pairs)} two_way_pairs={len(two_way)}"
    )
    print(f"apps: {' '.join(apps)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
