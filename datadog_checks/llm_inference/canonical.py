# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""One name per model across providers: the `canonical_model` tag.

Every provider spells the same open model its own way (`accounts/<account>/models/llama-v3p3-70b-instruct`,
`meta-llama/Llama-3.3-70B-Instruct`, `llama-3.3-70b-versatile`). The canonical name is the lowercase model name
without its organization or account path, with version spellings read (`v3p3` is 3.3), then the providers'
nicknames, then the user's `model_aliases`.
"""

import re

# Versions written with `p` for the point and a `v` before Llama's major version: llama-v3p3 is Llama 3.3, qwen2p5
# is Qwen2.5, deepseek-v3p1 is DeepSeek-V3.1; llama4-... and llama3-... are Llama 4 and Llama 3.
_POINT = re.compile(r'(?<=\d)p(?=\d)')
_LLAMA_VERSION = re.compile(r'^llama-?v?(?=\d)')

# Nicknames the rules cannot read (as the rules spell them) -> the model each serves, as the rules spell its Hugging
# Face name. Each provider declares its own (NICKNAMES, beside its sources); the registry adds them (add_nicknames).
_NICKNAMES = {}


def _spelling(raw):
    """`raw` as the rules spell it: no path, lower case, versions read."""
    name = str(raw).strip().rstrip('/').rpartition('/')[2].lower()
    if name.startswith('meta-llama-'):
        name = name[len('meta-') :]  # Hugging Face's older `Meta-Llama-3.1-8B-Instruct`
    name = _LLAMA_VERSION.sub('llama-', name)
    return _POINT.sub('.', name)


def add_nicknames(nicknames, owner):
    """A provider's nicknames (its spelling -> canonical name); one nickname meaning two models is refused."""
    for nickname, name in nicknames.items():
        key = _spelling(nickname)
        if _NICKNAMES.setdefault(key, name) != name:
            raise ValueError('{}: nickname {!r} is already {!r}'.format(owner, nickname, _NICKNAMES[key]))


def rule_name(raw):
    """The canonical spelling of `raw` from the rules and the providers' nicknames alone (no user aliases)."""
    name = _spelling(raw)
    return _NICKNAMES.get(name, name)


# Raw names whose canonical name is remembered: far more models than any account serves at once. The names come
# from the provider's replies, so model churn (fine-tunes, deployments by the hour) must not grow the cache forever.
MAX_CACHED = 1024


class CanonicalNames:
    """raw model name -> canonical name, with the user's `model_aliases` (raw or canonical name -> canonical name)
    applied after the rules; each raw name is worked out once (while at most MAX_CACHED are remembered)."""

    def __init__(self, aliases=None):
        self.aliases = {str(k).strip(): str(v).strip().lower() for k, v in (aliases or {}).items()}
        self._cache = {}

    def __call__(self, raw):
        name = self._cache.get(raw)
        if name is None:
            if raw in self.aliases:
                name = self.aliases[raw]
            else:
                name = rule_name(raw)
                name = self.aliases.get(name, name)
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()  # only on a miss: the names of today's models are back within a run
            self._cache[raw] = name
        return name
