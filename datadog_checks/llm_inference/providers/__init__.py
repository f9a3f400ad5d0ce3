# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The providers: one module each in this package, named after the provider, declaring everything the rest of the
integration needs to know about it (see provider.py). They are found by looking, so adding a provider is adding its
module (README, "Adding a provider"): this is the only place that lists them, and it names none.
"""

import importlib
import pkgutil

from ..canonical import add_nicknames
from ..provider import ProviderMixin


def _discover():
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module('{}.{}'.format(__name__, info.name))
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, ProviderMixin)
                and value.__module__ == module.__name__
                and value.PROVIDER
            ):
                found[value.PROVIDER] = value
                add_nicknames(value.NICKNAMES, value.PROVIDER)  # every provider's nicknames name models for all
    return found


# provider name -> its check class (the class is the provider's declaration)
PROVIDERS = _discover()
