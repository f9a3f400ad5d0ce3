# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The dashboards and recommended monitors the integration ships, and where they are.

Git keeps one copy, in the repository's `assets/` (where manifest.json and ddev read them). The wheel build copies
`assets/dashboards/` and `assets/monitors/` beside this file (pyproject's force-include), so an installed package
finds them here; a checkout or an editable install, which has no such copy, reads the repository's.
`python -m datadog_checks.llm_inference.assets` puts them into a Datadog organization (see `command.py`).
"""

import json
import os
from collections import namedtuple

KINDS = ('dashboards', 'monitors')
HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'assets'))

# kind: 'dashboard' or 'monitor'; id: the file's name without `.json`, unique within its kind; data: the parsed JSON.
Asset = namedtuple('Asset', 'kind id path data')


class AssetsNotFound(Exception):
    pass


class AssetError(Exception):
    """A shipped file, or an option, the assets command cannot turn into a request body."""


def directory():
    """The folder holding `dashboards/` and `monitors/`: the package's copy if installed, else the checkout's."""
    for candidate in (HERE, CHECKOUT):
        if all(os.path.isdir(os.path.join(candidate, kind)) for kind in KINDS):
            return candidate
    raise AssetsNotFound(
        'no dashboards/ and monitors/ folders in {} (installed wheel) nor in {} (checkout): reinstall the '
        'datadog-llm-inference wheel'.format(HERE, CHECKOUT)
    )


def paths(kind):
    """The JSON files of one kind ('dashboards' or 'monitors'), sorted by name."""
    folder = os.path.join(directory(), kind)
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith('.json'))


def shipped():
    """Every dashboard, then every monitor."""
    assets = []
    for kind in KINDS:
        for path in paths(kind):
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
            assets.append(Asset(kind[:-1], os.path.basename(path)[: -len('.json')], path, data))
    return assets
