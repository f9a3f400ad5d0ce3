# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""How a request's failure becomes the service check that says what to fix: every request is sent inside `send`,
which counts it and classifies what went wrong (errors.py), and `report` says it once, the provider and the URL
named and every secret scrubbed."""

from contextlib import contextmanager

from datadog_checks.base import AgentCheck

from . import redact
from .errors import CollectionError, RateLimited, Redirected, classify
from .redact import redact_url

SERVICE_CHECK = 'can_connect'


class Outcome:
    """Mixed into ProviderMixin (before the base check class, whose `sanitize` it extends)."""

    @contextmanager
    def send(self, url):
        """One request to ``url``, sent and read (and decoded) in the block. The request is counted once, by its
        outcome, and any failure becomes the CollectionError that says what to fix, carrying the URL."""
        try:
            yield
        except Exception as exc:
            if self.transport.expired() and not isinstance(exc, CollectionError):
                exc = TimeoutError()  # the run's deadline cut the reply short, whatever the socket then said
            error = classify(exc, self.timeout, self.HTTP_HINTS)
            if error.url is None:
                error.url = url
            if error.outcome is not None:
                self.note_request(error.outcome)
            if isinstance(error, RateLimited):
                self.rate_limited(error, exc.response.headers.get('Retry-After'))
            raise error from None
        self.note_request('ok')

    def rate_limited(self, error, retry_after):
        """A 429: the cooldown starts, and the message says for how long and what to look at."""
        self.telemetry('rate_limited', 1)
        seconds = self.budget.cool_down(retry_after)
        error.args = (
            'the provider answered HTTP 429 (rate limited); no request for {:.0f} s. Check that no other client uses '
            'the same {} and that `min_collection_interval` is at least 60.'.format(seconds, self.budget.what),
        )

    def sanitize(self, text):
        """Every message, error report and Agent log line: registered secrets, URL user-info and query values."""
        return redact.scrub(super().sanitize(text))

    def report(self, error):
        """The service check (and log line) of a run that ended in ``error``: the provider and the URL, once."""
        message = '{}: {}'.format(self.PROVIDER, error)
        if error.url:
            message += ' URL: {}'.format(redact_url(error.url))
        message = self.sanitize(message)
        if error.status == AgentCheck.CRITICAL:
            self.log.error('%s', message)
            error.args = (message,)  # the run's error report (the Agent's status page) says the same
        else:
            self.log.warning('%s', message)
        self.service_check(SERVICE_CHECK, error.status, tags=self.base_tags, message=message)

    def raise_for_status(self, response):
        """The response's raise_for_status, and a redirect not followed (`allow_redirects: false`)."""
        if response.is_redirect:  # counted by the transport, as every redirect
            raise Redirected(
                'the provider answered HTTP {} (a redirect), which is not followed with `allow_redirects: false`: '
                'set `api_url` to the URL it redirects to.'.format(response.status_code)
            )
        response.raise_for_status()
