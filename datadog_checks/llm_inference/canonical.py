# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""One name per model across providers: the `canonical_model` tag.

Every provider spells the same open model its own way (Fireworks `accounts/fireworks/models/llama-v3p3-70b-instruct`,
Crusoe `meta-llama/Llama-3.3-70B-Instruct`, Groq `llama-3.3-70b-versatile`). The canonical name is the lowercase
model name without its organization or account path, with Fireworks' version spelling read (`v3p3` is 3.3), then a
small table of provider nicknames, then the user's `model_aliases`.
"""

import re

# Provider nicknames the rules cannot read: nickname (after the rules) -> the model it serves, as the rules spell
# its Hugging Face name. Groq's model list (https://console.groq.com/docs/models, as public client docs quote it,
# read 2026-11-24): `llama-3.3-70b-versatile` is Llama 3.3 70B (Instruct), `llama-3.1-8b-instant` Llama 3.1 8B
# (Instruct); its retired `llama3-70b-8192`, `llama3-8b-8192` and `llama-3.1-70b-versatile` served the instruct
# models too. Fireworks' "Llama 4 Maverick Instruct (Basic)" is `accounts/fireworks/models/llama4-maverick-instruct-basic`
# (https://fireworks.ai/models/fireworks/llama4-maverick-instruct-basic, read 2026-11-24), Meta's
# Llama-4-Maverick-17B-128E-Instruct; the Scout one likewise.
NICKNAMES = {
    'llama-3.3-70b-versatile': 'llama-3.3-70b-instruct',
    'llama-3.1-8b-instant': 'llama-3.1-8b-instruct',
    'llama-3.1-70b-versatile': 'llama-3.1-70b-instruct',
    'llama-3-70b-8192': 'llama-3-70b-instruct',
    'llama-3-8b-8192': 'llama-3-8b-instruct',
    'llama-4-maverick-instruct-basic': 'llama-4-maverick-17b-128e-instruct',
    'llama-4-scout-instruct-basic': 'llama-4-scout-17b-16e-instruct',
}

# Fireworks writes versions with `p` for the point and a `v` before Llama's major version: llama-v3p3 is Llama 3.3,
# qwen2p5 is Qwen2.5, deepseek-v3p1 is DeepSeek-V3.1; llama4-... is Llama 4.
_POINT = re.compile(r'(?<=\d)p(?=\d)')
_LLAMA_VERSION = re.compile(r'^llama-?v?(?=\d)')


def rule_name(raw):
    """The canonical spelling of `raw` from the rules and the nickname table alone (no user aliases)."""
    name = str(raw).strip().rstrip('/').rpartition('/')[2].lower()
    if name.startswith('meta-llama-'):
        name = name[len('meta-') :]  # Hugging Face's older `Meta-Llama-3.1-8B-Instruct`
    name = _LLAMA_VERSION.sub('llama-', name)
    name = _POINT.sub('.', name)
    return NICKNAMES.get(name, name)


class CanonicalNames:
    """raw model name -> canonical name, with the user's `model_aliases` (raw or canonical name -> canonical name)
    applied after the rules; each raw name is worked out once."""

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
            self._cache[raw] = name
        return name
