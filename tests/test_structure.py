"""The shape of the code (issue 11): no import cycles, and an admin that never writes around
the services.

A dotted string that names a module ("runbooks.views.runbooks.detail_context", loaded with
`import_string`, or by Django and Celery from the settings) is an import the import statements
do not show, and import-linter cannot see (issue 30): here it counts as one, in the cycle check
and against the layers of pyproject.toml's [tool.importlinter] (docs/architecture.md).
"""

import ast
import inspect
import re
import tomllib
from pathlib import Path

import pytest
from django.contrib import admin

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("runbooks", "openops")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST):
    """Every import statement, at any depth (inside functions too), except under
    `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            yield from (n for child in node.orelse for n in _imports_of(child))
            continue
        yield from _imports_of(node)


def _imports_of(node):
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    yield from _imports(node)


def _targets(name: str, path: Path, node, modules: dict) -> set[str]:
    """The project modules an import statement loads (a `from package import module` names
    the module; a `from module import name` the module)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    base = node.module or ""
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.add(f"{base}.{alias.name}")
        elif base in modules:
            found.add(base)
    return found


DOTTED = re.compile(r"[a-z_][a-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")

# Dotted strings in kinds/ that name views and services: "the kinds registry points up" (issue
# 30, item 3). The kinds part of issue 30 drops them; LEAD: empty this set at its merge
# (test_the_strings_being_removed_are_still_there fails until then).
STRINGS_BEING_REMOVED = {
    ("runbooks.kinds.base", "runbooks.services.documents"),
    ("runbooks.kinds.postmortem", "runbooks.api.postmortems"),
    ("runbooks.kinds.postmortem", "runbooks.services.postmortems"),
    ("runbooks.kinds.postmortem", "runbooks.views.postmortems"),
    ("runbooks.kinds.report", "runbooks.services.reports"),
    ("runbooks.kinds.report", "runbooks.views.reports"),
    ("runbooks.kinds.runbook", "runbooks.api.runbooks"),
    ("runbooks.kinds.runbook", "runbooks.services.runbooks"),
    ("runbooks.kinds.runbook", "runbooks.views.routes"),
    ("runbooks.kinds.runbook", "runbooks.views.runbooks"),
}


def _named_by_strings(tree: ast.AST, modules: dict) -> set[str]:
    """The project modules a string names, as `module` or `module.attribute` (the packages
    themselves excepted: "runbooks.provider" is a model's label, not an import)."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if not DOTTED.fullmatch(node.value):
            continue
        for candidate in (node.value, node.value.rpartition(".")[0]):
            if candidate in modules and candidate not in PACKAGES:
                found.add(candidate)
                break
    return found


def _graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module → the modules its import statements load, module → those its strings name)."""
    modules = _modules()
    imports, strings = {}, {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        loaded = (_targets(name, path, n, modules) for n in _imports(tree))
        imports[name] = set().union(*loaded) - {name}
        # openops/ is the wiring above everything: Django and Celery are configured by name
        # there (and the settings and wsgi modules name each other), so its strings are not
        # counted; a string under runbooks/ is.
        named = _named_by_strings(tree, modules) if name.startswith("runbooks") else set()
        strings[name] = named - {name}
    return imports, strings


def _counted(strings: dict[str, set[str]]) -> dict[str, set[str]]:
    """The strings that count as imports: all but STRINGS_BEING_REMOVED."""
    return {n: {t for t in ts if (n, t) not in STRINGS_BEING_REMOVED} for n, ts in strings.items()}


def import_graph() -> dict[str, set[str]]:
    """Every module's imports, its dotted strings counted."""
    imports, strings = _graphs()
    counted = _counted(strings)
    return {name: imports[name] | counted[name] for name in imports}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_there_is_no_import_cycle_even_inside_functions():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _tiers() -> dict[str, int]:
    """Module → its tier in the layers contract of pyproject.toml (0: the top)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["id"] == "layers")
    (container,) = contract["containers"]
    return {
        f"{container}.{name.strip().strip('()')}": rank
        for rank, layer in enumerate(contract["layers"])
        for name in re.split(r"[|:]", layer)
    }


def _tier(module: str, tiers: dict[str, int]) -> int | None:
    return next((r for m, r in tiers.items() if module == m or module.startswith(m + ".")), None)


def upward(graph: dict[str, set[str]], tiers: dict[str, int]) -> list[tuple[str, str]]:
    """The edges of `graph` that point to a higher tier than their own."""
    return sorted(
        (name, target)
        for name, targets in graph.items()
        for target in targets
        if None not in (_tier(name, tiers), _tier(target, tiers))
        and _tier(target, tiers) < _tier(name, tiers)
    )


def test_dotted_strings_point_down_the_layers_as_imports_do():
    assert upward(_counted(_graphs()[1]), _tiers()) == []


def test_the_layer_check_finds_an_upward_string():
    planted = {"runbooks.services.tags": {"runbooks.views.documents", "runbooks.models"}}
    assert upward(planted, _tiers()) == [("runbooks.services.tags", "runbooks.views.documents")]
    assert _tier("runbooks.kinds.runbook", _tiers()) > _tier("runbooks.views", _tiers())


def test_the_strings_being_removed_are_still_there():
    """Each exception names a string that still exists: delete the line when it goes."""
    strings = _graphs()[1]
    assert {(n, t) for n, t in STRINGS_BEING_REMOVED if t not in strings[n]} == set()


def test_models_do_not_import_the_rules_and_services_do_not_import_tasks():
    graph = import_graph()
    assert not {m for m in graph["runbooks.models.documents"] if "visibility" in m}
    for name, targets in graph.items():
        if name.startswith("runbooks.services"):
            assert "runbooks.tasks" not in targets, name
    assert graph["runbooks.services"] == set(), "services/__init__ re-exports nothing"


# --- The admin ----------------------------------------------------------------------------

# Admins that save, and the service each saves through (checked by reading their save_model).
SAVES_THROUGH = {"Provider": "people.create_provider", "AlertRoute": "routes.save_route"}


class _Operator:
    """A superuser as far as the admin's permission checks go."""

    is_active = is_staff = is_superuser = True

    def has_perm(self, perm, obj=None) -> bool:
        return True


REQUEST = type("Request", (), {"user": _Operator()})()


def _read_only(model_admin) -> bool:
    return not model_admin.has_add_permission(REQUEST) and not model_admin.has_change_permission(
        REQUEST
    )


@pytest.mark.parametrize(
    "model,model_admin",
    [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label == "runbooks"],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_every_model_admin_reads_only_or_saves_through_a_service(model, model_admin):
    if _read_only(model_admin):
        assert not model_admin.has_delete_permission(REQUEST)
        return
    assert model.__name__ in SAVES_THROUGH, f"{model.__name__}'s admin writes around the services"
    assert SAVES_THROUGH[model.__name__] in inspect.getsource(type(model_admin).save_model)
