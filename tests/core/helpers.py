"""What the core tests share that is not a fixture."""
import importlib
import pkgutil

import app as app_package
from app.core.forms import BaseForm, SubForm


def form_classes():
    """Every form class of the app (each area's forms module imported first)."""
    for module in pkgutil.iter_modules(app_package.__path__):
        try:
            importlib.import_module(f"app.{module.name}.forms")
        except ModuleNotFoundError:
            continue
    seen, todo = set(), [BaseForm, SubForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(seen, key=lambda c: f"{c.__module__}.{c.__qualname__}")
