# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The failures a run can end in. Each carries its service-check status, the `outcome` its request is counted
under in `llm_inference.integration.requests` (None: no request reached the provider) and a message that says what
to fix. Messages name neither the provider nor the URL: the run adds both, once, where it reports
(outcome.py, `report`), the URL redacted.

`classify()` turns whatever a request raised (requests' and urllib3's errors, the parsers' and decoders' own) into
one of these, once, where the request is sent (outcome.py, `send`).
"""

import requests

from datadog_checks.base import AgentCheck

from .exposition import CutOff, ExpositionError

MAX_REDIRECTS = 3  # each hop is a request from the budget; a loop would otherwise spend 30

# What to do about an HTTP status, unless the provider declares better (its HTTP_HINTS).
HTTP_HINTS = {
    401: 'the API key was rejected: check `api_key` (a valid, unexpired key sent as a Bearer token).',
    403: 'the API key is not allowed to read these metrics: check that `api_key` belongs to the account or project '
    'being queried and has metrics access.',
    404: 'no metrics API at this URL: check `api_url` (for a query API, the URL under which `/api/v1/query` is '
    'served).',
}


class CollectionError(Exception):
    """A run that collected nothing. ``str()`` is the message for the service check; it never holds a secret."""

    status = AgentCheck.CRITICAL
    outcome = 'error'

    def __init__(self, message, url=None):
        super().__init__(message)
        self.url = url  # the request's URL, shown redacted by the report


class Unreadable(CollectionError):
    """A reply that cannot be read: cut off, too large, not UTF-8, malformed text or JSON of another shape."""

    outcome = 'invalid_reply'


class ReplyTooLarge(Unreadable):
    """A reply over `max_response_bytes`: refused whole, so a runaway reply cannot exhaust the Agent's memory."""

    def __init__(self, size, limit):
        super().__init__(
            'the reply is larger than `max_response_bytes` ({} > {} bytes); nothing was submitted. Raise '
            '`max_response_bytes` if the account really has that many series.'.format(size, limit)
        )


class QueryError(Unreadable):
    """A query API answered with a reply that is not a query API reply."""


class QueryRejected(CollectionError):
    """The query API answered an error envelope: the expression was refused (bad syntax, unsupported form)."""

    outcome = 'query_error'


class PartialReply(CollectionError):
    """VictoriaMetrics answered `isPartial: true` (some storage nodes did not answer): a sum over it would be short,
    so none of it is submitted as if complete. A WARNING: the engine answered, the next run asks again."""

    status = AgentCheck.WARNING
    outcome = 'partial_reply'

    def __init__(self, series):
        super().__init__(
            'the query API answered a partial reply (`isPartial: true`: some of its storage nodes did not answer), '
            'so its {} series were not submitted: totals over them would be short. The next run asks again; if this '
            'persists, check the engine\'s storage nodes (for a hosted provider, its status page).'.format(series)
        )
        self.series = series


class Incomplete(CollectionError):
    """A run that submitted what it could, but not everything, or with something at odds with the options (a reply of
    another account): the WARNING that says what."""

    status = AgentCheck.WARNING
    outcome = None


class HttpStatus(CollectionError):
    """The provider answered an HTTP error status."""

    def __init__(self, status_code, hint):
        if hint:
            message = 'HTTP {}: {}'.format(status_code, hint)
        elif 500 <= status_code < 600:
            message = (
                'the provider\'s metrics backend failed (HTTP {}); nothing was collected this run and the next run '
                'retries. If it persists, check the provider\'s status page.'.format(status_code)
            )
        else:
            message = 'unexpected HTTP {}.'.format(status_code)
        super().__init__(message)
        self.status_code = status_code
        self.outcome = 'http_{}xx'.format(status_code // 100)


class ConnectionFailed(CollectionError):
    outcome = 'connection_error'


class TimedOut(CollectionError):
    """No complete reply within the run's `timeout` (the run's deadline, or one socket operation's)."""

    outcome = 'timeout'

    def __init__(self, seconds, sent=True):
        super().__init__(
            'no complete reply within the {:g} s `timeout`: the provider is slow or unreachable (or its reply came '
            'too slowly); nothing was submitted and the next run retries. Raise `timeout` if this persists.'.format(
                seconds
            )
        )
        if not sent:
            self.outcome = None  # the deadline passed before the request left: nothing to count


class RunTimedOut(CollectionError):
    """Raised by the transport when the run's deadline passed before a request could be sent."""

    outcome = None


class Redirected(CollectionError):
    """A redirect the check does not follow, or too many of them. Transport.request counted each hop as a `redirect`
    request as it received it, so the failure itself counts none."""

    outcome = None


class TlsFileError(CollectionError):
    """A TLS file an option names is missing or cannot be loaded (tls_files.py): nothing was sent."""

    outcome = None


class ProxyAuthRequired(HttpStatus):
    """A proxy answered HTTP 407 (to the request, or to the CONNECT of an https one): the message names the proxy,
    redacted, and the option whose user-info holds its credentials."""

    def __init__(self, proxy, option, sent_credentials):
        if proxy is None:
            hint = (
                'a proxy asked for credentials, and none is configured for this URL: one sits in the way (or '
                '`api_url` names one). Set `proxy` (`https:` or `http:`, as the URL\'s scheme) to '
                '`http://<user>:<password>@<host>:<port>`.'
            )
        elif sent_credentials:
            hint = (
                'the proxy {} refused the credentials it was sent: correct the user-info of {} '
                '(`http://<user>:<password>@<host>:<port>`).'.format(proxy, option)
            )
        else:
            hint = 'the proxy {} asked for credentials: set {} to `http://<user>:<password>@<host>:<port>`.'.format(
                proxy, option
            )
        super().__init__(407, hint)


class RateLimited(CollectionError):
    """The provider answered HTTP 429: a WARNING, and a cooldown (the caller starts it and words the message)."""

    status = AgentCheck.WARNING
    outcome = 'rate_limited'


class BudgetSpent(CollectionError):
    """No request was made: the request budget is spent, or a 429 cooldown runs (the run is counted as skipped)."""

    status = AgentCheck.WARNING
    outcome = None


class NoData(CollectionError):
    """The provider answered, but with nothing to collect: a WARNING that says which option decides what is seen."""

    status = AgentCheck.WARNING
    outcome = 'ok'


def classify(exc, timeout, hints=None):
    """The CollectionError for `exc`, raised while sending a request or reading its reply; `timeout` is the run's
    (seconds), `hints` the provider's HTTP hints by status."""
    if isinstance(exc, RunTimedOut):
        return TimedOut(timeout, sent=False)
    if isinstance(exc, CollectionError):
        return exc
    if isinstance(exc, requests.Timeout) or _timed_out(exc):
        return TimedOut(timeout)
    if isinstance(exc, requests.TooManyRedirects):  # each hop was counted as a `redirect` request
        return Redirected(
            'redirected more than {} times (a loop, or a login page?); nothing was collected: check `api_url`.'.format(
                MAX_REDIRECTS
            )
        )
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        if status == 429:
            return RateLimited('the provider answered HTTP 429 (rate limited).')
        return HttpStatus(status, (hints or {}).get(status) or HTTP_HINTS.get(status))
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Unreadable('the reply was cut off before its end; nothing from it was submitted.')
    if isinstance(exc, requests.ConnectionError) and 'Connection aborted' in str(exc):
        return ConnectionFailed(
            'the provider closed the connection before replying (reset or aborted); the next run retries. If this '
            'persists, check proxies and load balancers between the Agent and the provider.'
        )
    if isinstance(exc, requests.ConnectionError):
        return ConnectionFailed(
            'cannot connect ({}): check the URL, DNS, proxy and firewall.'.format(type(exc).__name__)
        )
    if isinstance(exc, requests.RequestException):
        return CollectionError('the request failed ({}).'.format(type(exc).__name__))
    if isinstance(exc, CutOff):
        return Unreadable('the reply was cut off before its end ({}); nothing from it was submitted.'.format(exc))
    if isinstance(exc, ExpositionError):
        return Unreadable('malformed exposition text: {}; nothing was submitted.'.format(exc))
    if isinstance(exc, UnicodeDecodeError):
        return Unreadable(
            'the reply is not UTF-8 text (byte {} of {}); nothing was submitted.'.format(exc.start, len(exc.object))
        )
    return Unreadable(
        'the reply could not be read ({}: {}); nothing from it was submitted.'.format(type(exc).__name__, exc)
    )


def _timed_out(exc):
    """Whether a requests error is a socket timeout underneath (a body read that timed out is a ConnectionError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, TimeoutError) or type(exc).__name__ in ('ReadTimeoutError', 'ConnectTimeoutError'):
            return True
        nested = [a for a in getattr(exc, 'args', ()) if isinstance(a, BaseException)]
        exc = nested[0] if nested else (exc.__cause__ or exc.__context__)
    return False
