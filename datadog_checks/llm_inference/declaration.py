# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""What a provider declares: the class attributes its module under providers/ sets, each with what it means.

Everything the rest of the integration (the errors, the runner, the asset builder, the monitors) needs to know about
a provider is one of these; the code beside this module reads them and never names a provider.
"""

from .pricing import Spend


class Declaration:
    """The class attributes of a provider's check class, with their defaults (see README, "Adding a provider")."""

    # The `provider:` value, and the name of the provider's module.
    PROVIDER = ''
    # Options this provider cannot work without, besides `provider`.
    REQUIRED_OPTIONS = ('api_key',)
    # Options only some providers read that this one reads too, beyond those its other declarations name (required
    # options, identity tags, URL fields and parameters, budget scope, `model`, the query API's; options.py).
    OPTIONS = ()
    # The path the check appends to the URL (a PromQL API's `/api/v1/query`), '' for none.
    API_PATH = ''
    # Instance option -> identity tag on every metric and the service check; the first set option also names the
    # instance in the runner's output.
    IDENTITY_TAGS = {}
    # Identity option -> the raw label (as its LABELS read it, after `derive`) by which its replies' series name that
    # identity: a reply none of whose series names the option's value is a WARNING naming both (identity.py). Empty:
    # its series carry no such id.
    REPLY_IDENTITY = {}
    # The metrics URL when `api_url` is not set; `{option}` fields are filled from the instance (URL-quoted).
    DEFAULT_URL = ''
    # Requests a minute the provider documents (0: none documented, no budget by default; a provider that documents
    # none may declare the check's own default, and its docs page says so), and the option whose value the provider
    # counts them by (None: the API key).
    DEFAULT_REQUESTS_PER_MINUTE = 0
    BUDGET_SCOPE = None
    # The run's deadline (`timeout`, seconds) when neither the instance nor init_config sets one, for a provider whose
    # docs ask for longer than every HTTP check's 10 s (None: those 10 s). Cut to 5 s under `min_collection_interval`
    # so that a run ends before the next is due, never below 10 s (provider.py, `run_timeout`).
    DEFAULT_TIMEOUT = None
    # HTTP status -> what to do, where the provider's docs say more than errors.HTTP_HINTS.
    HTTP_HINTS = {}
    # How `api_key` is sent: `Authorization: <AUTH_SCHEME> <api_key>` (Bearer, or another scheme a provider documents).
    AUTH_SCHEME = 'Bearer'
    # What to check when a reply holds no series at all (the option that decides which series it holds).
    NO_DATA_HINT = 'check `api_url`'
    # Query parameters always added to the metrics URL, even to `api_url`: parameter -> option.
    URL_PARAMETERS = {}
    # Whether its series carry no model, so the `model` option names the one an instance serves.
    MODEL_OPTION = False
    # Its own names for models the canonical rules cannot read (its spelling -> canonical name; canonical.py).
    NICKNAMES = {}
    # Whether `list_prices` can price its tokens: None (dedicated capacity, or the user's queries), else a function
    # of a token series' tags giving None (billed at the list price) or why it is not; and, for
    # scripts/refresh-list-prices, its id in each source table of list prices.
    LIST_PRICED = None
    LIST_PRICE_IDS = {}
    # Whether it reports `errors.rate`: the overview's error shares and the `error_share` monitor count the requests
    # of these providers only (one without error data would read as one without errors); read by assets/build.py.
    REPORTS_ERRORS = False
    # What it reports that spend is worked out from (pricing.Spend): catalog metrics of tokens and replicas.
    SPEND = Spend(input='tokens.input.rate', output='tokens.output.rate')
    # How people name it, and the window of its quantiles (None: the user's queries say), read by assets/build.py
    # and said in the overview. Its dashboard is not declared here: see assets/layouts/.
    TITLE = ''
    WINDOWS = None
