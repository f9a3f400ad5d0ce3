# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The shipped SLOs and their burn-rate monitors, as data: one metric-based SLO per default latency objective (over
the check's `slo.requests.good` / `slo.requests.total`) and one for availability (requests without errors over
requests, on the providers that report errors only), each with the usual pair of multi-window burn-rate monitors.
Shared by all providers: no provider is named here; the availability scope comes from the providers' declarations
(build.py's `error_scope`).

A burn-rate monitor names its SLO by id, which exists only once the SLO does: the files say `{{slo:<file>}}`, and
the assets command (sync.py) or Terraform (README) puts the SLO's id there.

Why sums of gauges give the right SLI: the metrics are gauges of requests per second, one point per series and
collection interval. Datadog computes a metric-based SLO as the sum of the numerator's values over the window divided
by the sum of the denominator's; a sum of rate points is the window's requests divided by the collection interval,
the same factor on both sides wherever both are read the same way (the same aggregator, the same series reporting
both at the same times: the check emits good and total in one run, from the same buckets). So the ratio is the share
of requests, while the "good" and "bad" counts the SLO page shows are not request counts. Errors are sparse (a
provider sends no error series while nothing fails): `default_zero` makes a missing error point 0 errors rather
than a missing numerator.
"""

from ..bucket_outputs import DEFAULT_OBJECTIVES, GOOD, TOTAL
from ..specs import NAMESPACE

TIMEFRAME = '30d'
# (target %, warning %): the warning is the stricter one, as Datadog wants it.
LATENCY_TARGET = (99.0, 99.5)
AVAILABILITY_TARGET = (99.5, 99.8)
# (long window, short window, burn rate) for a 30-day target: 2% of the budget gone in 1 h, 5% in 6 h (Google's SRE
# workbook, and Datadog's recommended values for 30-day targets).
BURN_RATES = (('1h', '5m', 14.4), ('6h', '30m', 6))
TAGS = ['integration:llm_inference']
TITLES = {'time_to_first_token': 'time to first token', 'e2e_latency': 'end-to-end latency'}
AVAILABILITY = 'slo_availability'


def slo_reference(asset_id):
    """What a burn-rate monitor's query says in place of its SLO's id."""
    return '{{slo:%s}}' % asset_id


def _slo(name, description, numerator, denominator, target):
    return {
        'name': name,
        'type': 'metric',
        'description': description,
        'query': {'numerator': numerator, 'denominator': denominator},
        'thresholds': [{'timeframe': TIMEFRAME, 'target': target[0], 'warning': target[1]}],
        'tags': TAGS,
    }


def _burn_rate_monitors(asset_id, title, target):
    monitors = {}
    for long, short, rate in BURN_RATES:
        days = int(TIMEFRAME[:-1]) / rate
        monitors['burn_' + long] = {
            'name': 'LLM inference SLO {}: error budget burning {}x ({} and {} windows)'.format(
                title, '{:g}'.format(rate), long, short
            ),
            'type': 'slo alert',
            'query': 'burn_rate("{}").over("{}").long_window("{}").short_window("{}") > {:g}'.format(
                slo_reference(asset_id), TIMEFRAME, long, short, rate
            ),
            'message': 'The SLO "{title}" ({target:g}% over {timeframe}) is spending its error budget {rate:g} times '
            'faster than it can afford, over the last {long} and still over the last {short}: at this pace the '
            '{timeframe} budget is gone in {days}. See which provider and model on the LLM Inference '
            'overview (error share, latency by model).'.format(
                title=title,
                target=target[0],
                timeframe=TIMEFRAME,
                rate=rate,
                long=long,
                short=short,
                days='{:.0f} days'.format(days) if days >= 2 else '{:.0f} hours'.format(days * 24),
            ),
            'options': {'thresholds': {'critical': rate}, 'notify_audit': False, 'include_tags': True},
            'tags': TAGS,
        }
    return monitors


def objective_files(error_scope):
    """{file id: {'slo': SLO body, 'burn_rate_monitors': {suffix: monitor body}}}: the files of assets/slos/, one per
    default latency objective (the check's `latency_objectives` defaults) and one for availability."""
    files = {}
    for objective, seconds in sorted(DEFAULT_OBJECTIVES.items()):
        title = TITLES.get(objective, objective.replace('_', ' '))
        asset_id = 'slo_' + objective
        scope = '{{objective:{}}}'.format(objective)
        files[asset_id] = {
            'slo': _slo(
                'LLM inference: {} within its objective'.format(title),
                'Share of measured requests whose {title} is within the objective of the instance that measured '
                'it (`latency_objectives`, default {seconds:g} s; the `threshold` tag says the bucket bound used), '
                'on the providers that send latency buckets. From `llm_inference.{good}` and `.{total}`, rates of '
                'the same buckets: their sums over time keep the ratio of requests.'.format(
                    title=title, seconds=seconds, good=GOOD, total=TOTAL.rsplit('.', 1)[1]
                ),
                'sum:{}.{}{}'.format(NAMESPACE, GOOD, scope),
                'sum:{}.{}{}'.format(NAMESPACE, TOTAL, scope),
                LATENCY_TARGET,
            ),
            'burn_rate_monitors': _burn_rate_monitors(asset_id, title, LATENCY_TARGET),
        }
    scope = '{{{}}}'.format(error_scope)
    files[AVAILABILITY] = {
        'slo': _slo(
            'LLM inference: availability (requests without errors)',
            'Share of requests the provider did not fail (any error it reports, 429s included), on the providers '
            'that report errors only: a provider without error data would count every request as good. Errors are '
            '`default_zero` since a provider sends no error series while nothing fails.',
            'sum:{0}.requests.rate{1} - default_zero(sum:{0}.errors.rate{1})'.format(NAMESPACE, scope),
            'sum:{}.requests.rate{}'.format(NAMESPACE, scope),
            AVAILABILITY_TARGET,
        ),
        'burn_rate_monitors': _burn_rate_monitors(AVAILABILITY, 'availability', AVAILABILITY_TARGET),
    }
    return files
