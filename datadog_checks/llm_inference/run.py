# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""One run of a provider check, as scrape.py and query.py drive it: the budget checked before the first request,
its requests within the run's deadline, and its outcome reported once (outcome.py says what a failure means)."""

from contextlib import contextmanager

from datadog_checks.base import AgentCheck

from . import redact
from .errors import BudgetSpent, CollectionError, Incomplete
from .outcome import SERVICE_CHECK


class RunCollection:
    """Mixed into ProviderMixin: the frame of every run, whatever it fetches."""

    def requests_per_run(self):
        """HTTP requests a run needs (redirects aside): checked against the budget before the first is sent."""
        return 1

    @contextmanager
    def run_collection(self):
        """One run: the block draws on the budget (`run.start()` first: every request of the run is checked against
        it before the first is sent), its requests within the run's deadline (transport.py); it sets `run.series`
        to what it submitted, and adds to `run.warnings` what it left out or found at odds with the options (a reply
        of another account). Its outcome is reported: OK, one WARNING that says all of it, or the service check of
        the CollectionError it raised (a CRITICAL one raised on, for the Agent's error report)."""
        run = _Run(self)
        try:
            self.transport.start()
            with redact.scrubbing_thread():
                yield run
        except BudgetSpent as e:
            self.telemetry('runs_skipped', 1)
            self.report(e)
            return
        except CollectionError as e:
            self.report(e)
            if e.status == AgentCheck.CRITICAL:
                raise
            return
        finally:
            self.transport.finish()
        self.telemetry('series', run.series, method='gauge')
        warning = run.warning  # submitted, but with something the user must know (stale samples left out)
        if run.warnings:
            # One WARNING a run, saying all of it: one message must not hide another (a wrong id behind stale data).
            said = [str(warning)] if warning is not None else []
            warning = Incomplete(' '.join(said + run.warnings), warning.url if warning is not None else None)
        if warning is not None:
            self.report(warning)
        else:
            self.service_check(SERVICE_CHECK, AgentCheck.OK, tags=self.base_tags)


class _Run:
    """What the block of ProviderMixin.run_collection() tells it."""

    __slots__ = ('check', 'series', 'warnings', 'warning')

    def __init__(self, check):
        self.check = check
        self.series = 0
        self.warnings = []  # what the run submitted without, or with at odds with the options: a WARNING, not OK
        self.warning = None  # a WARNING CollectionError of a run that still submitted

    def start(self):
        """Before the first request: BudgetSpent if the budget cannot pay for the run's requests."""
        self.check.budget.check_run(self.check.requests_per_run())
