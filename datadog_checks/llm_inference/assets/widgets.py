# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Dashboard primitives: small declarations of what a widget shows and its size on the 12-column grid, and their
rendering to the JSON Datadog's dashboard API takes.

No dashboard is defined here: each provider's is its module in layouts/ (`DASHBOARD`), the overview is in
overview.py, and build.py assembles them. (In this package as in the check's, no text may put an opening
parenthesis one character after the word "requests": `ddev validate http` takes that for a call of the requests
library.)
"""

NS = 'llm_inference.'
ALL = '$provider,$model,$deployment'
COLUMNS = 12


def q(metric, filters=ALL, by=None, agg='avg'):
    """A metric query: `agg:llm_inference.<metric>{filters} by {by}`."""
    text = '{}:{}{}{{{}}}'.format(agg, NS, metric, filters)
    return text + (' by {{{}}}'.format(by) if by else '')


def _titled(kind, title):
    return {'type': kind, 'title': title, 'title_size': '16', 'title_align': 'left'}


def _queries(queries, aggregator=None):
    made = []
    for i, query in enumerate(queries):
        made.append({'data_source': 'metrics', 'name': 'query{}'.format(i + 1), 'query': query})
        if aggregator:
            made[-1]['aggregator'] = aggregator
    return made


class Widget:
    """One widget: its definition (`definition()`) and its size on the grid."""

    width = 6
    height = 3

    def definition(self):
        raise NotImplementedError


class Note(Widget):
    """Text across the whole row; every group opens with one saying what to look for."""

    width, height = COLUMNS, 1

    def __init__(self, content, color='white'):
        self.content, self.color = content, color

    def definition(self):
        return {
            'type': 'note',
            'content': self.content,
            'background_color': self.color,
            'font_size': '14',
            'text_align': 'left',
            'vertical_align': 'top',
            'show_tick': False,
            'tick_pos': '50%',
            'tick_edge': 'left',
            'has_padding': True,
        }


class Timeseries(Widget):
    """Lines (or bars) of one or more queries: a formula over query1..n, or one line per query."""

    def __init__(self, title, *queries, formula=None, display='line', width=6):
        self.title, self.queries, self.formula, self.display, self.width = title, queries, formula, display, width

    def definition(self):
        queries = _queries(self.queries)
        formulas = [{'formula': self.formula}] if self.formula else [{'formula': q['name']} for q in queries]
        return dict(
            _titled('timeseries', self.title),
            show_legend=True,
            legend_layout='auto',
            legend_columns=['avg', 'min', 'max', 'value'],
            requests=[
                {
                    'queries': queries,
                    'formulas': formulas,
                    'response_format': 'timeseries',
                    'display_type': self.display,
                    'style': {'palette': 'dog_classic', 'line_type': 'solid', 'line_width': 'normal'},
                }
            ],
        )


def scoped(filters, scope):
    """`filters` (comma-separated) narrowed by `scope`, a filter in Datadog's boolean syntax (`provider IN (a, b)`):
    the two syntaxes do not mix, so the commas become AND."""
    return ' AND '.join([f.strip() for f in filters.split(',')] + [scope])


def quantile_lines(title, metric, filters, by, quantiles=('0.99', '0.5'), per='deployment'):
    """A timeseries of one metric, a line per quantile (as the check tags them: `quantile:0.99`). A percentile cannot
    be averaged: where a group holds several series (regions, replica groups, labels the catalog does not know), the
    line is the worst of them (`max`), and the title says so: `<title>, worst series per <per>`."""
    return Timeseries(
        '{}, worst series per {}'.format(title, per),
        *[q(metric, '{},quantile:{}'.format(filters, quantile), by, 'max') for quantile in quantiles],
    )


class QueryValue(Widget):
    """One number: the first query, or a formula over query1..n."""

    height = 2

    def __init__(self, title, *queries, aggregator='last', formula='query1', precision=2, width=3):
        self.title, self.queries, self.aggregator = title, queries, aggregator
        self.formula, self.precision, self.width = formula, precision, width

    def definition(self):
        return dict(
            _titled('query_value', self.title),
            autoscale=True,
            precision=self.precision,
            requests=[
                {
                    'queries': _queries(self.queries, self.aggregator),
                    'formulas': [{'formula': self.formula}],
                    'response_format': 'scalar',
                }
            ],
        )


class Toplist(Widget):
    """The ten highest groups of one query."""

    def __init__(self, title, query, width=6):
        self.title, self.query, self.width = title, query, width

    def definition(self):
        return dict(
            _titled('toplist', self.title),
            requests=[
                {
                    'queries': _queries([self.query], 'last'),
                    'formulas': [{'formula': 'query1', 'limit': {'count': 10, 'order': 'desc'}}],
                    'response_format': 'scalar',
                }
            ],
        )


class Table(Widget):
    """One row per group, a column per query (query1..n), each with a title; `highlight` colours the cells of a
    column below a value: {column index: (value, palette)}."""

    def __init__(self, title, columns, highlight=None, width=12):
        self.title, self.columns, self.highlight, self.width = title, columns, highlight or {}, width

    def definition(self):
        formulas = []
        for i, (alias, _) in enumerate(self.columns):
            formula = {'formula': 'query{}'.format(i + 1), 'alias': alias}
            if i == 0:
                formula['limit'] = {'count': 50, 'order': 'desc'}
            if i in self.highlight:
                value, palette = self.highlight[i]
                formula['conditional_formats'] = [{'comparator': '<', 'value': value, 'palette': palette}]
            formulas.append(formula)
        return dict(
            _titled('query_table', self.title),
            requests=[
                {
                    'queries': _queries([query for _, query in self.columns], 'last'),
                    'formulas': formulas,
                    'response_format': 'scalar',
                }
            ],
        )


class CheckStatus(Widget):
    """The `can_connect` service check, one cell per group."""

    height = 2

    def __init__(self, title, group_by, tags, width=3):
        self.title, self.group_by, self.tags, self.width = title, list(group_by), list(tags), width

    def definition(self):
        return dict(
            _titled('check_status', self.title),
            check=NS + 'can_connect',
            grouping='cluster',
            group_by=self.group_by,
            tags=self.tags,
        )


class MonitorSummary(Widget):
    """The integration's monitors (those tagged `integration:llm_inference`) and their states."""

    height = 2

    def __init__(self, width=6):
        self.width = width

    def definition(self):
        return {
            'type': 'manage_status',
            'title': 'Recommended monitors',
            'summary_type': 'monitors',
            'query': 'tag:(integration:llm_inference)',
            'display_format': 'countsAndList',
            'color_preference': 'text',
            'hide_zero_counts': True,
            'show_last_triggered': False,
            'sort': 'status,asc',
            'count': 50,
            'start': 0,
        }


class Group:
    """A titled group of widgets, opened by a note that says what to look for."""

    def __init__(self, title, color, note, widgets):
        self.title, self.color, self.note, self.widgets = title, color, note, list(widgets)


class Dashboard:
    """A dashboard's content: what it is for (`about`), its template variables and its groups. Its title is given
    where it is rendered (a provider's comes from its TITLE)."""

    def __init__(self, about, variables, groups):
        self.about, self.variables, self.groups = about, tuple(variables), list(groups)


class _Ids:
    """Widget ids, unique within one dashboard."""

    def __init__(self):
        self.last = 1000

    def next(self):
        self.last += 1
        return self.last


def render_group(group, ids):
    """Widgets placed left to right, a new row when the next one does not fit."""
    placed, x, y, row_height = [], 0, 0, 0
    for widget in [Note(group.note)] + group.widgets:
        if x + widget.width > COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        placed.append(
            {
                'id': ids.next(),
                'definition': widget.definition(),
                'layout': {'x': x, 'y': y, 'width': widget.width, 'height': widget.height},
            }
        )
        x, row_height = x + widget.width, max(row_height, widget.height)
    return {
        'id': ids.next(),
        'definition': {
            'type': 'group',
            'title': group.title,
            'background_color': group.color,
            'show_title': True,
            'layout_type': 'ordered',
            'widgets': placed,
        },
    }


def render_dashboard(title, dashboard):
    """The JSON of a dashboard (as Datadog's dashboard API takes it), widget ids numbered from 1001."""
    ids = _Ids()
    return {
        'title': title,
        'description': dashboard.about,
        'author_name': 'llm_inference',
        'layout_type': 'ordered',
        'reflow_type': 'auto',
        'notify_list': [],
        'template_variables': [
            {'name': v, 'prefix': v, 'default': '*', 'available_values': []} for v in dashboard.variables
        ],
        'widgets': [render_group(group, ids) for group in dashboard.groups],
    }
