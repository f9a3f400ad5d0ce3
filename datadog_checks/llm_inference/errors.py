# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The failures a run can end in, each carrying the service-check status and a message that says what to fix."""

from datadog_checks.base import AgentCheck

from .redact import redact_url

# What a user should do about an HTTP status, per provider where the provider docs say something specific.
_HINTS = {
    401: {
        None: 'the API key was rejected: check `api_key` (a valid, unexpired key sent as a Bearer token).',
    },
    403: {
        # wafer.txt: "Serverless (pass.wafer.ai) keys return 403 ... dedicated-only"
        'wafer': 'metrics are for dedicated endpoints only. A serverless (pass.wafer.ai) key, '
        'or a dedicated key for an endpoint it does not own, is refused: use the key of the dedicated endpoint '
        'set in `endpoint`.',
        # groq.txt: "This feature is only available to our Enterprise tier customers."
        'groq': 'Prometheus metrics are an Enterprise-tier feature. Use an API key of an '
        'Enterprise organization (or ask Groq to enable metrics for yours).',
        None: 'the API key is not allowed to read these metrics: check that `api_key` belongs to the '
        'account or project being queried and has metrics access.',
    },
    404: {
        'fireworks': 'no metrics at this URL: check `account_id` (the account id from '
        '`accounts/<id>`, not a display name) or `api_url`.',
        'wafer': 'no metrics at this URL: check `endpoint` (the dedicated endpoint host) or `api_url`.',
        'crusoe': 'no metrics at this URL: check `project_id` or `api_url`.',
        # groq.txt: "This feature is only available to our Enterprise tier customers"; a key without it may be
        # answered 404 rather than 403.
        'groq': 'no metrics API for this key at this URL. Prometheus metrics are an Enterprise-tier feature: a key '
        'of an organization without it may get 404 rather than 403 (use an Enterprise organization\'s key, or ask '
        'Groq to enable metrics). Otherwise check `api_url` (default https://api.groq.com/v1/metrics/prometheus, '
        'under which `/api/v1/query` is served).',
        None: 'no metrics API at this URL: check `api_url` (for a query API, the URL under which '
        '`/api/v1/query` is served).',
    },
}


class CollectionError(Exception):
    """A run that collected nothing. ``str()`` is the message for the service check; it never holds a secret."""

    status = AgentCheck.CRITICAL


class RateLimited(CollectionError):
    """The run was skipped or refused because of a request budget or a provider's 429: a WARNING, not a failure."""

    status = AgentCheck.WARNING


class BudgetSpent(RateLimited):
    """No request was made: the request budget is spent, or a 429 cooldown runs (the run is counted as skipped)."""


class RunTimedOut(CollectionError):
    """The run's deadline (`timeout`) passed before its requests and replies were done."""


class NoData(CollectionError):
    """The provider answered, but with nothing to collect: a WARNING that says which option decides what is seen."""

    status = AgentCheck.WARNING


class QueryError(CollectionError):
    """A query API answered with a reply that cannot be decoded, or an error envelope."""


class QueryRejected(QueryError):
    """The query API answered an error envelope: the expression was refused (bad syntax, unsupported form)."""


class ReplyTooLarge(CollectionError):
    """A reply over `max_response_bytes`: refused whole, so a runaway reply cannot exhaust the Agent's memory."""

    def __init__(self, size, limit):
        super().__init__(
            'the reply is larger than `max_response_bytes` ({} > {} bytes); nothing was submitted. Raise '
            '`max_response_bytes` if the account really has that many series.'.format(size, limit)
        )


def http_status_message(provider, status_code, url):
    """The service-check message for an HTTP error status."""
    where = redact_url(url)
    hints = _HINTS.get(status_code)
    if hints is not None:
        return '{}: HTTP {}: {} URL: {}'.format(provider, status_code, hints.get(provider, hints[None]), where)
    if 500 <= status_code < 600:
        return (
            '{}: the provider\'s metrics backend failed (HTTP {}); nothing was collected this run and the next run '
            'retries. If it persists, check the provider\'s status page. URL: {}'.format(provider, status_code, where)
        )
    return '{}: unexpected HTTP {} from {}'.format(provider, status_code, where)
