"""The type stubs say what the code does: every public method of umqtt.aio's
MQTTClient is in umqtt/aio.pyi with the same parameters, defaults and async-ness,
and the stub names nothing the module lacks. (CPython's view of the package; the
same aio.py runs on MicroPython.)"""

import ast
import inspect
from pathlib import Path

import umqtt.aio as aio

STUB = Path(__file__).resolve().parent.parent / "pyo3_binding/python/umqtt/aio.pyi"


def stub_classes():
    tree = ast.parse(STUB.read_text())
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            funcs = {}
            for f in node.body:
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    # @overload: the first one carries the full parameter list.
                    funcs.setdefault(f.name, []).append(f)
            classes[node.name] = funcs
    return tree, classes


def params(f):
    a = f.args
    names = [x.arg for x in a.args]
    defaults = [None] * (len(a.args) - len(a.defaults)) + [ast.literal_eval(d)
                                                              for d in a.defaults]
    return list(zip(names, defaults)), a.vararg is not None


def test_aio_stub_matches_the_module():
    tree, classes = stub_classes()
    assert "MQTTClient" in classes and "MessageDetails" in classes
    stub = classes["MQTTClient"]
    real = {n: f for n, f in inspect.getmembers(aio.MQTTClient, inspect.isfunction)
            if not n.startswith("_") or n in ("__init__", "__aenter__", "__aexit__")}
    assert sorted(stub) == sorted(real)
    for name, f in real.items():
        sig = inspect.signature(f)
        expected = [(p.name, None if p.default is p.empty else p.default)
                    for p in sig.parameters.values() if p.kind != p.VAR_POSITIONAL]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())
        # The widest overload is the implementation's signature.
        found = max((params(s) for s in stub[name]), key=lambda p: len(p[0]))
        assert found == (expected, varargs), name
        is_async = inspect.iscoroutinefunction(f)
        assert all(isinstance(s, ast.AsyncFunctionDef) == is_async for s in stub[name]), name
    names = {t.id for n in tree.body if isinstance(n, ast.AnnAssign)
             for t in [n.target] if isinstance(t, ast.Name)}
    for n in names - {"__all__"}:
        assert hasattr(aio, n), n
    assert set(aio.__all__) <= set(classes) | names | {"MQTTException"}
