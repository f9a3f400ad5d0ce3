"""Finds the simulated providers: every module of this package that declares `PROVIDER`. Adding a provider is adding
its module; nothing here or elsewhere lists them."""

import importlib
import pkgutil

from .provider import SimulatedProvider


def providers():
    """The declared providers, by name."""
    package = __name__.rpartition('.')[0]
    found = {}
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if info.name.startswith('_'):
            continue
        declared = getattr(importlib.import_module('{}.{}'.format(package, info.name)), 'PROVIDER', None)
        if isinstance(declared, SimulatedProvider):
            found[declared.name] = declared
    return [found[name] for name in sorted(found)]
