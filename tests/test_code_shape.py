"""The shape the code keeps: no module over 400 lines, no route handler over 15 lines.

Route handlers parse the request, call one function and render its answer; the protocol
logic lives in named functions that tests and readers can find. Read from the source with
`ast` alone: nothing is imported and no server starts.

A handler is any function that
- is decorated with a router method (`@router.get(...)`, `@app.post(...)`,
  `@router.api_route(...)`, ...),
- is passed as the endpoint of `add_api_route(...)` / `add_route(...)` anywhere in the
  packages (followed through imports, `module.name`, methods and `functools.partial`),
- is named in a module-level `ROUTES` table (the bridge's plain ASGI endpoints), or
- is an `async def` taking a `Request` in `bridge/http/routes/` or in a mock's
  web, page or portal module.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bridge", "mock_idps")
MAX_MODULE_LINES = 400
MAX_HANDLER_LINES = 15

_ROUTE_DECORATORS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "trace",
        "api_route",
        "route",
        "websocket",
        "websocket_route",
    }
)
_REGISTRARS = frozenset(
    {"add_api_route", "add_route", "add_websocket_route", "add_api_websocket_route"}
)
_ENDPOINT_KEYWORDS = ("endpoint", "route")
# Modules where any `async def f(..., request: Request)` is a handler.
_REQUEST_MODULE_WORDS = ("web", "page", "portal")

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Module:
    path: Path
    name: str
    tree: ast.Module
    lines: int
    functions: dict[str, list[Function]] = field(default_factory=dict)
    """Every function and method defined anywhere in the module, by name."""
    imported: dict[str, str] = field(default_factory=dict)
    """Local name → dotted name of what it was imported as (a module or module.attr)."""

    @property
    def relative(self) -> str:
        return self.path.relative_to(ROOT).as_posix()


@dataclass(frozen=True)
class Handler:
    module: Module
    function: Function

    @property
    def body_lines(self) -> int:
        return body_lines(self.function)

    def describe(self) -> str:
        return f"{self.module.relative}:{self.function.lineno} {self.function.name}"


def body_lines(function: Function) -> int:
    """Lines from the first statement after the docstring to the end of the function."""
    body = function.body
    if (
        len(body) > 1
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    end = body[-1].end_lineno or body[-1].lineno
    return end - body[0].lineno + 1


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def parse_module(path: Path, source: str) -> Module:
    module = Module(path, _module_name(path), ast.parse(source, str(path)), source.count("\n"))
    package = module.name if path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            module.functions.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    module.imported[alias.asname] = alias.name
                else:
                    top = alias.name.partition(".")[0]
                    module.imported[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                module.imported[alias.asname or alias.name] = f"{base}.{alias.name}"
    return module


@functools.cache
def load_modules() -> dict[str, Module]:
    """Parsed once per run: the three tests below read the same source (read-only)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = parse_module(path, path.read_text(encoding="utf-8"))
            modules[module.name] = module
    return modules


class HandlerFinder:
    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.handlers: dict[tuple[str, int], Handler] = {}
        self.unresolved: list[str] = []

    def find(self) -> list[Handler]:
        for module in self.modules.values():
            self._decorated(module)
            self._registered(module)
            self._routing_tables(module)
            self._taking_request(module)
        return sorted(self.handlers.values(), key=lambda h: (h.module.relative, h.function.lineno))

    def _add(self, module: Module, function: Function) -> None:
        self.handlers.setdefault((module.name, function.lineno), Handler(module, function))

    def _decorated(self, module: Module) -> None:
        for functions in module.functions.values():
            for function in functions:
                if any(_is_route_decorator(d) for d in function.decorator_list):
                    self._add(module, function)

    def _registered(self, module: Module) -> None:
        for node in ast.walk(module.tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _REGISTRARS
            ):
                continue
            endpoint = next(
                (k.value for k in node.keywords if k.arg in _ENDPOINT_KEYWORDS),
                node.args[1] if len(node.args) > 1 else None,
            )
            where = f"{module.relative}:{node.lineno}"
            if endpoint is None:
                self.unresolved.append(f"{where} {node.func.attr}(...) without an endpoint")
            else:
                self._endpoint(module, endpoint, where)

    def _routing_tables(self, module: Module) -> None:
        for node in module.tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            if (
                isinstance(target, ast.Name)
                and target.id == "ROUTES"
                and isinstance(value, ast.Dict)
            ):
                for entry in value.values:
                    for name in ast.walk(entry):
                        if isinstance(name, ast.Name) and (
                            name.id in module.functions or name.id in module.imported
                        ):
                            self._endpoint(module, name, f"{module.relative}:{name.lineno}")

    def _taking_request(self, module: Module) -> None:
        in_routes = module.name.startswith("bridge.http.routes.")
        stem = module.name.rpartition(".")[2]
        in_mock_pages = module.name.startswith("mock_idps.") and any(
            word in stem for word in _REQUEST_MODULE_WORDS
        )
        if not (in_routes or in_mock_pages):
            return
        for functions in module.functions.values():
            for function in functions:
                if isinstance(function, ast.AsyncFunctionDef) and _takes_request(function):
                    self._add(module, function)

    def _endpoint(self, module: Module, expression: ast.expr, where: str) -> None:
        """Find the function(s) an endpoint expression names, or record that it cannot."""
        if isinstance(expression, ast.Lambda):
            return  # a single expression: short by construction
        if _is_partial(expression):  # functools.partial(f, ...)
            assert isinstance(expression, ast.Call)
            self._endpoint(module, expression.args[0], where)
            return
        found = self._resolve(module, expression)
        if not found:
            self.unresolved.append(f"{where} endpoint {ast.unparse(expression)}")
        for owner, function in found:
            self._add(owner, function)

    def _resolve(self, module: Module, expression: ast.expr) -> list[tuple[Module, Function]]:
        if isinstance(expression, ast.Name):
            local = module.functions.get(expression.id)
            if local:
                return [(module, f) for f in local]
            return self._imported(module.imported.get(expression.id, ""))
        if isinstance(expression, ast.Attribute):
            if isinstance(expression.value, ast.Name):
                base = module.imported.get(expression.value.id)
                if base is not None:
                    return self._imported(f"{base}.{expression.attr}")
            # self.handle, obj.handle: a method defined in this module.
            return [(module, f) for f in module.functions.get(expression.attr, [])]
        return []

    def _imported(self, dotted: str) -> list[tuple[Module, Function]]:
        owner_name, _, attr = dotted.rpartition(".")
        owner = self.modules.get(owner_name)
        if owner is None:
            return []
        top_level = [
            node
            for node in owner.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attr
        ]
        if top_level:
            return [(owner, f) for f in top_level]
        reexported = owner.imported.get(attr)
        return self._imported(reexported) if reexported else []


def _is_partial(expression: ast.expr) -> bool:
    if not (isinstance(expression, ast.Call) and expression.args):
        return False
    function = expression.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name == "partial"


def _is_route_decorator(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_DECORATORS
    )


def _takes_request(function: Function) -> bool:
    arguments = function.args
    for argument in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        annotation = argument.annotation
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            annotation = ast.parse(annotation.value, mode="eval").body
        if isinstance(annotation, ast.Name) and annotation.id == "Request":
            return True
        if isinstance(annotation, ast.Attribute) and annotation.attr == "Request":
            return True
    return False


def _handlers() -> tuple[list[Handler], list[str]]:
    finder = HandlerFinder(load_modules())
    return finder.find(), finder.unresolved


def _listed(offenders: list[str]) -> str:
    return "".join(f"\n  {offender}" for offender in offenders)


def test_no_module_is_over_400_lines() -> None:
    long = [
        f"{m.relative}: {m.lines} lines"
        for m in sorted(load_modules().values(), key=lambda m: m.relative)
        if m.lines > MAX_MODULE_LINES
    ]
    assert not long, f"modules over {MAX_MODULE_LINES} lines:" + _listed(long)


def test_no_route_handler_is_over_15_lines() -> None:
    handlers, unresolved = _handlers()
    assert not unresolved, "route endpoints this test cannot follow:" + _listed(unresolved)
    long = [
        f"{h.describe()}: {h.body_lines} lines"
        for h in handlers
        if h.body_lines > MAX_HANDLER_LINES
    ]
    assert not long, (
        f"route handlers over {MAX_HANDLER_LINES} lines of body (docstring excluded); "
        "move the logic into a named function:" + _listed(long)
    )


def test_the_finder_sees_each_kind_of_handler() -> None:
    """Without this, a finder that found nothing would pass the test above."""
    found = {(h.module.name, h.function.name) for h in _handlers()[0]}
    expected = {
        ("bridge.http.routes.consents", "consents_page"),  # @router.get
        ("mock_idps.iamsmart.authorize", "decide"),  # @router.post, path parameter
        ("mock_idps.iamsmart.app", "healthz"),  # @app.get
        ("mock_idps.guangdong.bind_pages", "bind_submit"),  # add_api_route
        ("mock_idps.guangdong.platform_login", "platform_login"),  # add_api_route
        ("mock_idps.hk_eservice.web", "oidc_callback"),  # add_api_route
        ("bridge.http.api", "token"),  # the ROUTES table
    }
    assert expected <= found, f"handlers not found: {sorted(expected - found)}"


_PROBE_ROUTES = """
import functools
from fastapi import APIRouter, Request
from mock_idps.probe import handlers
from mock_idps.probe.handlers import imported as aliased

class Pages:
    async def method(self) -> None:
        pass

async def helper_taking_request(request: Request) -> None:
    pass

def routes(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.api_route("/decorated")
    async def decorated() -> None:
        pass

    router.add_api_route("/aliased", aliased)
    router.add_api_route("/attribute", endpoint=handlers.by_attribute)
    router.add_route("/partial", functools.partial(handlers.partially, 1))
    router.add_api_route("/method", pages.method)
    router.add_api_route("/lambda", lambda: None)
    router.add_api_route("/unknown", getattr(pages, "nothing"))
    return router
"""

_PROBE_HANDLERS = """
from fastapi import Request

def imported() -> None: pass
def by_attribute() -> None: pass
def partially(n: int) -> None: pass
async def table() -> None: pass
async def not_a_handler(request: Request) -> None: pass

ROUTES = {"/table": (frozenset({"POST"}), table)}
"""


def test_the_finder_follows_each_way_of_registering_a_handler() -> None:
    modules = {
        m.name: m
        for m in (
            parse_module(ROOT / "mock_idps/probe/web.py", _PROBE_ROUTES),
            parse_module(ROOT / "mock_idps/probe/handlers.py", _PROBE_HANDLERS),
        )
    }
    finder = HandlerFinder(modules)
    found = {h.function.name for h in finder.find()}
    assert found == {
        "decorated",
        "imported",
        "by_attribute",
        "partially",
        "method",
        "table",
        "helper_taking_request",
    }
    # Reported, not skipped: an endpoint the test cannot see could be of any length.
    assert [u.split(" ", 1)[1] for u in finder.unresolved] == ["endpoint getattr(pages, 'nothing')"]


def test_a_handler_body_is_counted_without_its_docstring() -> None:
    module = parse_module(
        ROOT / "mock_idps/probe/web.py",
        'async def handler(request):\n    """Doc,\n    two lines."""\n    a = 1\n\n    return a\n',
    )
    assert body_lines(module.functions["handler"][0]) == 3
