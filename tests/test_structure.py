"""The shape of the code (issue 11): no import cycles, and an admin that never writes around
the services."""

import ast
import inspect
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


def named_in_strings(tree: ast.AST, modules: dict) -> set[str]:
    """The project modules that string constants name: `"runbooks.views.x"`, an attribute of
    one (`"runbooks.views.x.detail"`, `"openops.broker:Transport"`). Loaded by a name (Django
    settings, `import_string`, drf-spectacular), they are imports that no import statement
    shows: they count as imports here."""
    named = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        parts = node.value.replace(":", ".").split(".")
        for end in range(len(parts), 1, -1):
            if ".".join(parts[:end]) in modules:
                named.add(".".join(parts[:end]))
                break
    return named


# Settings, the root URLconf and the entry points name by string what Django, Celery and the
# WSGI server load: wiring, from the top down, not imports of their own.
CONFIGURATION = "openops"


def import_graph(strings: bool = True) -> dict[str, set[str]]:
    """Module → the project modules it imports (with `strings`, and those its strings name,
    below the configuration)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        targets = set().union(*(_targets(name, path, n, modules) for n in _imports(tree)))
        if strings and not name.startswith(CONFIGURATION):
            targets |= named_in_strings(tree, modules)
        graph[name] = targets - {name}
    return graph


def _strings_naming_modules() -> dict[str, set[str]]:
    modules = _modules()
    found = {}
    for name, path in modules.items():
        named = named_in_strings(ast.parse(path.read_text()), modules) - {name}
        if named:
            found[name] = named
    return found


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


def test_there_is_no_import_cycle_even_inside_functions_or_in_dotted_strings():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


# Strings that name a project module, outside the configuration (`openops/`: settings and the
# root URLconf name what they wire together, from the top): each with why it is a string.
NAMED_BY_STRING = {
    "runbooks.management.commands.serve": {"openops.wsgi"},  # gunicorn's command line
    "runbooks.api.schema": {"runbooks.api.authentication"},  # drf-spectacular's target_class
}


def test_below_the_configuration_no_string_names_a_module_but_the_known_ones():
    """A registry that names its views and services by dotted path points up without an
    import the checks can see (issue 30): the faces register from above instead."""
    found = {
        name: named
        for name, named in _strings_naming_modules().items()
        if not name.startswith(CONFIGURATION)
    }
    assert found == NAMED_BY_STRING


def test_the_string_check_sees_a_dotted_path_and_a_colon_path():
    modules = {"runbooks.views.a": None, "openops.broker": None}
    tree = ast.parse('X = "runbooks.views.a.detail"\nY = "openops.broker:Transport"\nZ = "no.such"')
    assert named_in_strings(tree, modules) == {"runbooks.views.a", "openops.broker"}


def test_nothing_loads_a_project_module_with_import_string():
    """What a kind adds to a face (a page, an API action, the service saving a relation) is
    registered in the face's own table by a plain import, not named and loaded by
    `import_string` (issue 30: one hidden circle of 15 modules)."""
    found = set()
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            imported = isinstance(node, ast.ImportFrom) and "import_string" in {
                alias.name for alias in node.names
            }
            used = isinstance(node, ast.Attribute) and node.attr == "import_string"
            if imported or used:
                found.add(name)
    assert found == set()


def test_the_cycle_finder_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


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
