# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Tags as Datadog stores them, so that contexts are formed the way Datadog will see them.

Datadog's tag rules (https://docs.datadoghq.com/getting_started/tagging/#define-tags): tags are converted to lower
case; characters other than letters, digits, `_`, `-`, `:`, `.` and `/` are converted to underscores; a tag is cut at
200 characters. Two series whose tags differ only in that way (`model:Llama-3` / `model:llama-3`, `region:us east` /
`region:us_east`, past the 200th character) are one context in Datadog, where one value would silently overwrite the
other: the mapper folds them by each metric's semantics (mapping.py).
"""

import hashlib
import re

MAX_TAG = 200
_STORED_AS_UNDERSCORE = re.compile(r'[^\w\-:./]')  # \w: Unicode letters and digits, and `_`
VARIANT = 'series_variant'


def stored(tag):
    """A tag as Datadog stores it."""
    return _STORED_AS_UNDERSCORE.sub('_', tag.lower())[:MAX_TAG]


def stored_tags(tags):
    """A tag tuple as Datadog stores it (sorted, without repeats); `tags` itself when nothing changes."""
    normal = tuple(sorted({stored(tag) for tag in tags}))
    return tags if normal == tags else normal


def variant_tag(tags):
    """A tag that keeps a series apart from others Datadog would store with its tags: a short hash of its own
    tags, the same every run, which survives Datadog's normalization."""
    return '{}:{}'.format(VARIANT, hashlib.sha1('\n'.join(tags).encode('utf-8')).hexdigest()[:8])
