# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The providers' own dashboards: one module each in this package, named after the provider (`PROVIDER`), whose
`DASHBOARD` is that dashboard in widgets.py's primitives; build.py opens it with a Health group. They are found by
looking, as the providers are: adding a provider's dashboard is adding its module here, and a provider with no module
has no dashboard of its own (it still counts in the overview and the monitors).

They live here rather than in the provider modules so that the Agent, which imports the check, loads no asset code.
"""

import importlib
import pkgutil


def _discover():
    return {
        info.name: importlib.import_module('{}.{}'.format(__name__, info.name))
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    }


_MODULES = _discover()
# provider name -> its dashboard (a widgets.Dashboard)
LAYOUTS = {name: module.DASHBOARD for name, module in _MODULES.items()}
# provider name -> the monitors its module declares beside the shared ones (recommended_monitors.Monitor), if any: a
# monitor only one provider's metrics can trigger (a status of its own) belongs to that provider.
MONITORS = {name: tuple(module.MONITORS) for name, module in _MODULES.items() if getattr(module, 'MONITORS', ())}
