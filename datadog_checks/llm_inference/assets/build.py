# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Builds the shipped dashboards and monitors (`assets/dashboards/*.json`, `assets/monitors/*.json`) and their lists
in manifest.json, and the SLOs with their burn-rate monitors (`assets/slos/*.json`), from the overview (overview.py),
the recommended monitors (recommended_monitors.py), the SLOs (objectives.py), each provider's dashboard layout
(layouts/<name>.py) and what each provider's check class declares (providers/<name>.py). Adding a provider changes
nothing here.

What it reads of each provider's layout: `DASHBOARD`, its dashboard (a `widgets.Dashboard`; no layout module, or None:
no dashboard of its own); a Health group is put first (the `can_connect` check by `provider` and its identity tags,
its requests by outcome).

It also reads a layout's `MONITORS`, if any (recommended_monitors.Monitor): monitors only that provider's metrics can
trigger, built beside the shared ones.

What it reads of each provider class:

- `PROVIDER`: its dashboard's file (`llm_inference_<PROVIDER>.json`), filter and layout module;
- `TITLE`: its name in prose, and its dashboard's title (`LLM Inference - <TITLE>`);
- `IDENTITY_TAGS`: the tags that tell its instances apart; their union over all providers groups the overview's
  `can_connect` cells and the `can_connect` and `rate_limited` monitors;
- `WINDOWS`: the window its quantiles cover, as its `window` tag says (short text such as '5 m'; None when the user's
  queries decide), in the overview's Latency note;
- `DEFAULT_REQUESTS_PER_MINUTE`: the budget it documents (0: none), in the overview and the `rate_limited` monitor.
- `REPORTS_ERRORS` (absent: False): whether it reports `errors.rate`; the error shares of the overview and the
  `error_share` monitor, and the availability SLO, count the requests of these providers only (a provider without
  error data would read as one without errors).

Development only (the wheel ships the JSON): `scripts/build_assets.py` writes the files; tests/test_assets.py checks
the committed ones are what `build()` returns.
"""

import json
import os
from string import Template

from . import CHECKOUT
from .layouts import LAYOUTS
from .layouts import MONITORS as PROVIDER_MONITORS
from .objectives import objective_files
from .overview import TITLE as OVERVIEW_TITLE
from .overview import overview
from .recommended_monitors import MONITORS
from .widgets import CheckStatus, Dashboard, Group, Timeseries, q, render_dashboard

REPOSITORY = os.path.dirname(CHECKOUT)
TAGS = ['integration:llm_inference']
DATE = '2026-11-22'


class DeclarationError(Exception):
    """A provider declaration the builder cannot use, or two assets that would be written to one file."""


def _joined(items, conjunction='and'):
    items = list(items)
    if len(items) < 2:
        return ''.join(items)
    return '{} {} {}'.format(', '.join(items[:-1]), conjunction, items[-1])


class Facts:
    """What the shared assets (the overview, the monitors) say per provider, from the providers' declarations, in
    the order of the providers' names."""

    def __init__(self, providers):
        self.providers = [providers[name] for name in sorted(providers)]
        for cls in self.providers:
            if not cls.TITLE:
                raise DeclarationError(
                    'provider {} ({}) declares no TITLE: the asset builder names it with TITLE (and reads DASHBOARD '
                    'and WINDOWS, None where none applies)'.format(cls.PROVIDER, cls.__name__)
                )
        self.identity_tags = tuple(sorted({tag for cls in self.providers for tag in cls.IDENTITY_TAGS.values()}))
        options = sorted({option for cls in self.providers for option in cls.IDENTITY_TAGS})
        self.identity_options = _joined(['`{}`'.format(option) for option in options], 'or') or 'an option'
        self.windows = self._grouped(lambda cls: cls.WINDOWS, '{names} {value}')
        self.budgets = (
            self._grouped(lambda cls: cls.DEFAULT_REQUESTS_PER_MINUTE, '{names}: {value} requests a minute')
            or 'none documented'
        )
        reporting = [cls for cls in self.providers if getattr(cls, 'REPORTS_ERRORS', False)]
        self.error_providers = tuple(cls.PROVIDER for cls in reporting)
        # Datadog's boolean filter syntax (`,` and `!` do not mix with it); matches nothing when no provider reports.
        self.error_scope = 'provider IN ({})'.format(', '.join(self.error_providers) or 'none')
        self.error_titles = _joined([cls.TITLE for cls in reporting]) or 'no provider'

    def _grouped(self, value_of, form):
        """ "A and B <value>, C <other value>": providers with the same value in one group, in order of first use."""
        groups = {}
        for cls in self.providers:
            value = value_of(cls)
            if value:
                groups.setdefault(value, []).append(cls.TITLE)
        return ', '.join(form.format(names=_joined(names), value=value) for value, names in groups.items())

    def substitutions(self):
        """The values of the monitors' `$name` placeholders (see recommended_monitors.py)."""
        by = ('provider',) + self.identity_tags
        return {
            'identity_by': ','.join(by),
            'identity_check_by': ','.join('"{}"'.format(tag) for tag in by),
            'identity_names': ''.join('{{{{{}.name}}}}'.format(tag) for tag in self.identity_tags),
            'identity_options': self.identity_options,
            'budgets': self.budgets,
            'error_scope': self.error_scope,
            'error_titles': self.error_titles,
        }


def provider_dashboard(cls, declared):
    """A provider's dashboard (its layout's), opened by its Health group."""
    only = 'provider:' + cls.PROVIDER
    health = Group(
        'Health',
        'vivid_green',
        'Service check and the integration\'s own requests for this provider.',
        [
            CheckStatus('Can connect', ('provider',) + tuple(cls.IDENTITY_TAGS.values()), [only]),
            Timeseries(
                'Requests to the provider by outcome',
                q('integration.requests', only, 'outcome', 'sum') + '.as_count()',
                display='bars',
                width=9,
            ),
        ],
    )
    if not isinstance(declared, Dashboard):
        raise DeclarationError(
            'provider {}: DASHBOARD is a {}, not a widgets.Dashboard (or None)'.format(cls.PROVIDER, type(declared))
        )
    return render_dashboard(
        'LLM Inference - ' + cls.TITLE, Dashboard(declared.about, declared.variables, [health] + declared.groups)
    )


def monitor(declared, substitutions):
    def fill(text):
        return Template(text).substitute(substitutions)

    title = fill(declared.title)
    return {
        'version': 2,
        'created_at': DATE,
        'last_updated_at': DATE,
        'title': title,
        'description': fill(declared.description),
        'tags': TAGS,
        'definition': {
            'name': title,
            'type': declared.kind,
            'query': fill(declared.query),
            'message': fill(declared.message),
            'tags': TAGS,
            'options': dict(
                {
                    'thresholds': declared.thresholds,
                    'notify_audit': False,
                    'include_tags': True,
                    'new_group_delay': 300,
                    'silenced': {},
                },
                **declared.options,
            ),
            'priority': None,
            'restriction_policy': {'bindings': []},
        },
    }


def render(data):
    return json.dumps(data, indent=2, sort_keys=True) + '\n'


def _layouts(providers, layouts):
    """Each provider's dashboard layout: every layout is a provider's, and no provider class declares one (a
    dashboard on the class would be loaded by the Agent with the check, and ignored here)."""
    strays = sorted(set(layouts) - set(providers))
    if strays:
        raise DeclarationError('assets/layouts/{0}.py: no provider is named {0}'.format(strays[0]))
    for name, cls in sorted(providers.items()):
        if getattr(cls, 'DASHBOARD', None) is not None:
            raise DeclarationError(
                'provider {0}: its dashboard is declared on its class; move it to assets/layouts/{0}.py'.format(name)
            )
    return layouts


def build(providers=None, repository=REPOSITORY, layouts=None):
    """{path relative to the repository: text} of every dashboard, monitor and SLO file, and of manifest.json with the
    lists of the dashboards and monitors. `providers`: name -> check class (default: the registry's); `layouts`:
    name -> its dashboard (default: the modules of layouts/)."""
    if providers is None:
        from ..providers import PROVIDERS as providers  # imports the check (datadog_checks.base)
    facts = Facts(providers)
    layouts = _layouts(providers, LAYOUTS if layouts is None else layouts)
    files, listed = {}, {'dashboards': {}, 'monitors': {}}

    def add(kind, name, listed_as, data):
        path = os.path.join('assets', kind, name + '.json')
        if path in files:
            raise DeclarationError('two {} would be written to {}'.format(kind, path))
        if listed_as in listed[kind]:
            raise DeclarationError(
                'two {} would be listed as {}: {} and {}'.format(kind, listed_as, listed[kind][listed_as], path)
            )
        files[path] = render(data)
        listed[kind][listed_as] = path

    add('dashboards', 'llm_inference_overview', OVERVIEW_TITLE, render_dashboard(OVERVIEW_TITLE, overview(facts)))
    for cls in facts.providers:
        declared = layouts.get(cls.PROVIDER)
        if declared is not None:
            data = provider_dashboard(cls, declared)
            add('dashboards', 'llm_inference_' + cls.PROVIDER, data['title'], data)
    substitutions = facts.substitutions()
    own = [declared for name in sorted(PROVIDER_MONITORS) if name in providers for declared in PROVIDER_MONITORS[name]]
    for declared in MONITORS + tuple(own):
        add('monitors', declared.id, declared.listed_as, monitor(declared, substitutions))

    # SLOs and their burn-rate monitors: not integration assets (manifest.json lists none), only the command's.
    for name, data in objective_files(facts.error_scope).items():
        files[os.path.join('assets', 'slos', name + '.json')] = render(data)

    with open(os.path.join(repository, 'manifest.json'), encoding='utf-8') as f:
        manifest = json.load(f)
    manifest['assets'].update(listed)
    files['manifest.json'] = json.dumps(manifest, indent=2) + '\n'
    return files


def write(repository=REPOSITORY):
    """Writes what `build()` returns into the repository and removes the dashboards, monitors and SLO files it no
    longer builds; returns what it did, a line per file changed."""
    files = build(repository=repository)
    changed = []
    for kind in ('dashboards', 'monitors', 'slos'):
        folder = os.path.join('assets', kind)
        os.makedirs(os.path.join(repository, folder), exist_ok=True)
        for name in sorted(os.listdir(os.path.join(repository, folder))):
            path = os.path.join(folder, name)
            if name.endswith('.json') and path not in files:
                os.remove(os.path.join(repository, path))
                changed.append('removed ' + path)
    for path, text in files.items():
        target = os.path.join(repository, path)
        if os.path.exists(target):
            with open(target, encoding='utf-8') as f:
                if f.read() == text:
                    continue
        with open(target, 'w', encoding='utf-8') as f:
            f.write(text)
        changed.append('wrote ' + path)
    return changed
