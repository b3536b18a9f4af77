"""The type stubs name exactly what the extension module has, and everything is documented."""

import ast
import inspect
import os

import causet
from causet import _causet

STUB = os.path.join(os.path.dirname(causet.__file__), "_causet.pyi")
if not os.path.exists(STUB):  # an installed wheel without the stub would fail below
    STUB = os.path.join(os.path.dirname(__file__), "..", "python", "causet", "_causet.pyi")


def stub_names():
    tree = ast.parse(open(STUB, encoding="utf-8").read())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {
                item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = None
    return names


def test_stubs_match_the_module():
    stubs = stub_names()
    public = {name for name in dir(_causet) if not name.startswith("_")}
    assert set(stubs) == public
    for name, methods in stubs.items():
        if methods is None:
            continue
        cls = getattr(_causet, name)
        real = {m for m in vars(cls) if not m.startswith("_") or m in methods}
        real -= {"__hash__", "__module__", "__doc__", "__new__", "__dict__", "__weakref__"}
        wanted = {m for m in methods if m != "__init__"}
        assert wanted <= set(dir(cls)), (name, wanted - set(dir(cls)))
        assert {m for m in real if not m.startswith("_")} <= wanted, (name, real - wanted)


def test_public_api_is_documented():
    from causet import trace

    for module, name in [(causet, n) for n in causet.__all__] + [(trace, n) for n in trace.__all__]:
        value = getattr(module, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(value), name
        if inspect.isclass(value) and not issubclass(value, causet.Causality):
            for attribute, member in vars(value).items():
                if not attribute.startswith("_") and callable(member):
                    assert inspect.getdoc(member), f"{name}.{attribute}"
