"""The suite's own layout: no test module imports another (shared fixtures live in conftest files,
shared helpers in non-test modules), so a test is collected once and its helpers are findable."""
import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_no_test_module_imports_another():
    offenders = [f"{path.relative_to(TESTS)} imports {name}"
                 for path in TESTS.rglob("*.py") for name in _imported(path)
                 if name.startswith("tests.") and (name.rsplit(".", 1)[-1].startswith("test_")
                                                   or name.rsplit(".", 1)[-1] == "conftest")]
    assert offenders == []
