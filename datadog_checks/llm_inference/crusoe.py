# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Crusoe Managed Inference: PromQL at `https://api.crusoecloud.com/v1alpha5/projects/<project_id>/metrics/timeseries`.

The queries are the ones crusoe.txt documents ("Metric Query" column), filtered on the instance's `project_id`
and kept by `model_name` and `service_tier` ("Each metric has labels for service_tier").
"""

from functools import partial

from .catalog import DEFAULT_QUANTILES, Labels, format_quantile
from .query import Query, QueryCheck

DEFAULT_URL = 'https://api.crusoecloud.com/v1alpha5/projects/{project_id}/metrics/timeseries'
WINDOW = '300s'  # crusoe.txt's queries use [300s]; the data has a 60 s minimum resolution
WINDOW_TAG = 'window:5m'
BY = 'model_name, service_tier'

LABELS = Labels({'model_name': 'model', 'service_tier': 'service_tier'})

# counter -> catalog rate; crusoe.txt: `sum by (model_name) ( rate( crusoe_inference_<x>{project_id=...}[300s] ) )`
RATES = {
    'crusoe_inference_request_count': 'requests.rate',
    'crusoe_inference_input_token_count': 'tokens.input.rate',
    'crusoe_inference_output_token_count': 'tokens.output.rate',
}
# histogram -> catalog quantiles; crusoe.txt:
# `histogram_quantile(0.5, sum by (model_name, le) (irate(<x>_bucket[300s])))`
# The docs give no unit; the series are taken to be in seconds, as Prometheus conventions have it.
HISTOGRAMS = {
    'crusoe_inference_histogram_first_token_latency': 'time_to_first_token.seconds',
    'crusoe_inference_histogram_output_token_latency': 'time_per_output_token.seconds',
}


def _points(name, extra_tags, samples):
    return [(name, value, LABELS.tags(labels) + [WINDOW_TAG] + extra_tags) for labels, value in samples]


def _selector(metric, project_id):
    return '{}{{project_id="{}"}}'.format(metric, project_id.replace('\\', '\\\\').replace('"', '\\"'))


def crusoe_queries(project_id, quantiles=DEFAULT_QUANTILES):
    queries = []
    for metric, name in RATES.items():
        expr = 'sum by ({}) (rate({}[{}]))'.format(BY, _selector(metric, project_id), WINDOW)
        queries.append(Query(expr, partial(_points, name, []), name))
    for metric, name in HISTOGRAMS.items():
        buckets = 'sum by ({}, le) (irate({}[{}]))'.format(BY, _selector(metric + '_bucket', project_id), WINDOW)
        for q in quantiles:
            label = format_quantile(q)
            expr = 'histogram_quantile({}, {})'.format(label, buckets)
            queries.append(Query(expr, partial(_points, name, ['quantile:' + label]), '{} p{}'.format(name, label)))
    return queries


class CrusoeCheck(QueryCheck):
    PROVIDER = 'crusoe'
    REQUIRED_OPTIONS = ('api_key', 'project_id')
    IDENTITY_TAGS = {'project_id': 'project_id'}
    SCOPE_OPTION = 'project_id'
    DEFAULT_URL = DEFAULT_URL

    def default_queries(self):
        return crusoe_queries(self.instance['project_id'])
