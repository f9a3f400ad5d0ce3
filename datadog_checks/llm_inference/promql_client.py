# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A small client for the Prometheus `/api/v1/query` API (Prometheus, VictoriaMetrics), on the check's HTTP client
(transport.Client: replies streamed, within the budget and the run's deadline).

`decode()` is a pure function of the reply body: it returns samples or raises `QueryError`, nothing else.
"""

import json
import math
from urllib.parse import urlencode, urlsplit, urlunsplit

from .errors import PartialReply, QueryError, QueryRejected
from .transport import read_capped
from .redact import redact_url

QUERY_PATH = '/api/v1/query'
# Label values remembered for sharing: the repeated ones (models, jobs, namespaces) come early and often; a value
# unique to each series (a pod) would only grow the memo past the memory it saves.
MEMO_SIZE = 4096
# A GET whose URL would be longer goes by POST (form-encoded; Prometheus and VictoriaMetrics both take it): proxies
# commonly refuse request lines over 8 KiB with HTTP 414.
MAX_GET_URL = 4096


def strip_comments(expr):
    """`expr` without its `# ...` comments (to the end of each line), `#` inside a string literal kept: a comment
    in a user's query would otherwise swallow the rest of the combined query."""
    out, quote, i, n = [], None, 0, len(expr)
    while i < n:
        c = expr[i]
        if quote:
            if c == '\\' and quote != '`' and i + 1 < n:  # an escape, except in a raw (backtick) string
                out.append(expr[i : i + 2])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in '"\'`':
            quote = c
        elif c == '#':
            end = expr.find('\n', i)
            i = n if end < 0 else end
            continue
        out.append(c)
        i += 1
    return ''.join(out).strip()


def _number(value):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise QueryError('a sample value is not a number: {!r}'.format(value)[:200]) from None
    return number


def _point(point):
    if not isinstance(point, list | tuple) or len(point) != 2:
        raise QueryError('a sample is not a [timestamp, value] pair: {!r}'.format(point)[:200])
    return _number(point[1])


def _lean_objects():
    """A json object_hook that builds the samples while the reply is parsed, instead of a tree to walk after.

    A series object becomes its (labels, value) tuple at once (json never makes tuples, so decode() tells them
    apart), and repeated label values are one string object: a reply of 100k series then costs a small multiple
    of its size, not the ~12x of a parsed tree plus copies. Anything of another shape is left as parsed, for
    decode() to validate and name.
    """
    memo = {}

    def hook(obj):
        labels = obj.get('metric')
        if labels.__class__ is dict and ('value' in obj or 'values' in obj):
            point = obj.get('value')
            if point is None:
                points = obj.get('values')
                point = points[-1] if points.__class__ is list and points else None
            if point.__class__ is list and len(point) == 2 and all(v.__class__ is str for v in labels.values()):
                try:
                    return labels, float(point[1])
                except (TypeError, ValueError):
                    pass  # decode() names it
            return obj
        for key, value in obj.items():
            if value.__class__ is str:
                shared = memo.get(value)
                if shared is not None:
                    obj[key] = shared
                elif len(memo) < MEMO_SIZE:
                    memo[value] = value
        return obj

    return hook


def decode(body, keep_nonfinite=False):
    """(samples, warnings) from a query reply; samples are (labels dict, value) with NaN and ±Inf dropped unless
    `keep_nonfinite` (the check reads them to know a sum is missing a member). A reply VictoriaMetrics marks
    `isPartial` raises PartialReply: its samples are not the whole answer.

    Handles vector, matrix (latest point of each series), scalar and string results, and VictoriaMetrics'
    scalar returned as a label-less vector. Error envelopes (Prometheus: errorType a name such as `bad_data`;
    VictoriaMetrics: errorType the HTTP code as a string, 422 for every error in older versions) raise QueryError.

    Memory: pass the body without keeping a reference (``decode(read_capped(...))``): the bytes are dropped once
    decoded to text, and the text once parsed, so at most two of bytes, text and samples are alive at once.
    """
    if isinstance(body, bytes | bytearray):
        try:
            body = body.decode('utf-8')
        except UnicodeDecodeError:
            raise QueryError('the reply is not UTF-8 text, so not a query API reply') from None
    if isinstance(body, str):
        text, body = body, None
        try:
            body = json.loads(text, object_hook=_lean_objects())
        except RecursionError:
            raise QueryError('the reply nests JSON too deeply to be a query API reply') from None
        except ValueError as e:
            if (
                isinstance(e, json.JSONDecodeError)
                and text.strip()
                and (e.pos >= len(text.rstrip()) or e.msg.startswith('Unterminated string'))
            ):
                raise QueryError('the reply was cut off before its end (the JSON is incomplete)') from None
            start = ' '.join(text.strip()[:60].split())
            raise QueryError(
                'the reply is not JSON (it starts with {!r}): is `api_url` the query API, or did a proxy or login '
                'page answer?'.format(start)
            ) from None
        text = None
    if not isinstance(body, dict):
        raise QueryError('the reply is JSON but not a query API object')
    status = body.get('status')
    if status == 'error':
        error_type = body.get('errorType', 'error')
        message = body.get('error', '')
        raise QueryRejected('the query API answered an error ({}): {}'.format(error_type, str(message)[:500]))
    if status != 'success':
        raise QueryError('the reply has no `status: success` (got {!r})'.format(status)[:200])
    warnings = body.get('warnings') or []
    if not isinstance(warnings, list):
        warnings = [warnings]
    data = body.get('data')
    if not isinstance(data, dict):
        raise QueryError('the reply has no `data` object')
    result_type, result = data.get('resultType'), data.get('result')
    samples = []
    if result_type in ('vector', 'matrix'):
        if not isinstance(result, list):
            raise QueryError('`data.result` of a {} is not a list'.format(result_type))
        for series in result:
            if series.__class__ is tuple:  # made by _lean_objects
                if keep_nonfinite or series[1] - series[1] == 0:  # finite: NaN and ±Inf give NaN
                    samples.append(series)
                continue
            if not isinstance(series, dict):
                raise QueryError('a series in `data.result` is not an object')
            labels = series.get('metric') or {}
            if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
                raise QueryError('a series has no `metric` label object')
            if result_type == 'vector':
                value = _point(series.get('value'))
            else:
                points = series.get('values')
                if not isinstance(points, list):
                    raise QueryError('a matrix series has no `values` list')
                if not points:
                    continue
                value = _point(points[-1])
            if keep_nonfinite or math.isfinite(value):
                samples.append((dict(labels), value))
    elif result_type in ('scalar', 'string'):
        value = _point(result)
        if keep_nonfinite or math.isfinite(value):
            samples.append(({}, value))
    else:
        raise QueryError('unknown `data.resultType` {!r}'.format(result_type)[:200])
    if body.get('isPartial') is True:
        raise PartialReply(len(samples))
    return samples, [str(w) for w in warnings]


def query_url(api_url):
    """`<api_url>/api/v1/query`, keeping a query string of `api_url` (a proxy's `?token=...`) after the path."""
    parts = urlsplit(api_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip('/') + QUERY_PATH, fragment=''))


class PromQLClient:
    """Instant queries against `<api_url>/api/v1/query`."""

    def __init__(
        self, http, api_url, method='GET', nocache=False, log=None, max_bytes=32 * 1024 * 1024, check_status=None
    ):
        self.http = http
        self.max_bytes = max_bytes
        self.url = query_url(api_url)
        # How an HTTP status that is not a query error becomes an exception (the check's, which knows redirects).
        self.check_status = check_status or (lambda response: response.raise_for_status())
        self.method = method
        # VictoriaMetrics hides the last 30 s of samples from queries near "now" unless nocache=1.
        self.extra = {'nocache': '1'} if nocache else {}
        self.log = log
        self.keep_nonfinite = False

    def query(self, expr):
        """Samples of `expr`. HTTP errors other than a query error envelope raise requests.HTTPError."""
        params = dict(self.extra, query=expr)
        if self.method == 'POST' or len(self.url) + len(urlencode(params)) > MAX_GET_URL:
            response = self.http.post(self.url, data=params)
        else:
            response = self.http.get(self.url, params=params)
        try:
            # Prometheus answers a bad query with 400 (bad_data) or 422 (execution), VictoriaMetrics with 400/422:
            # with a JSON error envelope these are query errors (decode raises them), not transport ones.
            is_envelope = response.status_code in (400, 422) and 'json' in response.headers.get('Content-Type', '')
            if not is_envelope:
                self.check_status(response)
            # No reference kept to the body: decode() drops it once it is text (see decode's docstring).
            samples, warnings = decode(read_capped(response, self.max_bytes), self.keep_nonfinite)
            if is_envelope:
                raise QueryError(
                    'the query API answered HTTP {} without an error envelope'.format(response.status_code)
                )
        finally:
            response.close()
        for warning in warnings:
            if self.log is not None:
                self.log.warning('query API warning for %s: %s', redact_url(self.url), warning)
        return samples
