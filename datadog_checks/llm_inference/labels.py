# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""A series' labels -> its tags, such that two different series never get the same tags by accident.

A provider declares the labels it knows (`LabelMap`); every other label is kept as a tag under its own name (a
dimension the provider added is one users want), renamed `label_<name>` where that name is taken: a tag the Agent
reserves (`host`, `env`, ...), a tag the check sets itself (`model`, `window`, ...), an identity tag with another
value (the endpoint or account the instance is of), or a name another label of the series already gave. Nothing is
dropped in silence; what was not in the map is listed so the check can report it.
"""

import re

from .specs import CATALOG_TAGS, RESERVED_TAGS, normalize_quantile

# Labels that are never tags: the metric name, and `le`, which the bucket reading consumes.
STRUCTURAL = frozenset(('__name__', 'le'))
_INVALID = re.compile(r'[^a-z0-9_.\-/]')


def tag_key(raw):
    """A label name as a Datadog tag key: lower case, only the characters tags allow, starting with a letter."""
    key = _INVALID.sub('_', raw.lower())
    if not key[:1].isalpha():
        key = 'label_' + key.lstrip('_')
    return key


def kept_key(raw):
    """The tag key a label keeps where its own tag name is taken: `label_<name>`."""
    return 'label_' + _INVALID.sub('_', raw.lower()).lstrip('_')


class LabelMap:
    """What a provider's labels mean.

    rename: raw label -> tag name. Several raw labels may give one tag (`http_code` and `code` -> `status_code`):
        the first listed is the documented one; the others are variants, read where the first is absent.
    derive: labels -> (labels, rank): fills in documented labels a variant leaves out (rank 1 when it did).
    own_labels: the labels are the user's own (`queries:`): kept under their own names, nothing reported as unknown.
    keep_only: with own_labels, only these labels become tags.
    """

    def __init__(self, rename=None, derive=None, own_labels=False, keep_only=()):
        self.rename = dict(rename or {})
        reserved = sorted(set(self.rename.values()) & RESERVED_TAGS)
        if reserved:
            raise ValueError('a label may not become a tag the Agent reserves: {}'.format(', '.join(reserved)))
        # A user's query may return buckets: only the metric name is never a tag there.
        self.ignore = frozenset(('__name__',)) if own_labels else STRUCTURAL
        self.derive = derive
        self.own_labels = own_labels
        self.keep_only = frozenset(keep_only)
        first = {}
        for raw, tag in self.rename.items():
            first.setdefault(tag, raw)
        # variant raw label -> the documented label it stands in for
        self.variant_of = {raw: first[tag] for raw, tag in self.rename.items() if first[tag] != raw}
        self.taken = CATALOG_TAGS | frozenset(self.rename.values())


class Context:
    """The tags of one label set, and what the mapping needs to know about it (computed once per label set)."""

    __slots__ = (
        'names',
        'values',
        'raws',
        'tag_list',
        'tags',
        'unmapped',
        'rank',
        'problem',
        'excluded',
        '_without',
        'stored',
        'source',
    )

    def __init__(self, names, values, raws, tag_list, unmapped, rank, problem, excluded, source=None):
        # Tuples, not dicts, and shared where they can be (label names; tags): a query reply may hold 100k label
        # sets, and the reply's own dicts are freed once it is mapped.
        self.names = names
        self.values = values
        # raw label (or (raw label, 'canonical') for the tag derived from it) -> its tag, as two aligned tuples
        # sorted by tag: without repeated tags, the tags themselves.
        self.raws = raws
        self.tag_list = tag_list
        self.tags = tag_list if len(set(tag_list)) == len(tag_list) else tuple(sorted(set(tag_list)))
        self.unmapped = unmapped  # raw labels not in the provider's map (kept as tags)
        self.rank = rank  # 0: documented labels; 1: a variant was read
        self.problem = problem  # why the series cannot be submitted (e.g. a `quantile` that is not one), or None
        self.excluded = excluded  # raw labels the `aggregate_labels` option names
        self._without = None
        # `tags` as Datadog stores them (datadog_tags.stored_tags), set by the mapper when first needed: a slot
        # rather than a run-wide dict keyed by tag tuples (no tuple hashed per lookup, no dict entry per series).
        self.stored = None
        # (names, values) of the label set as read, where the label map derived others from it (None: `names` and
        # `values` are those): the key a later run's reader files a reused context under (LabelReader.of_text).
        self.source = source

    def label(self, raw):
        """The value of label `raw`, or None."""
        try:
            return self.values[self.names.index(raw)]
        except ValueError:
            return None

    def without(self, removed):
        """The tags left when the raw labels in `removed` (a frozenset) are aggregated away."""
        cache = self._without
        if cache is None:
            cache = self._without = {}
        tags = cache.get(removed)
        if tags is None:
            # A derived tag (`canonical_model`, keyed (raw label, what)) goes with the label it comes from.
            kept = {
                tag
                for raw, tag in zip(self.raws, self.tag_list)
                if raw not in removed and (type(raw) is not tuple or raw[0] not in removed)
            }
            tags = cache[removed] = tuple(sorted(kept))
        return tags


class LabelReader:
    """Contexts for one run: a label set's context is computed once, whatever order its labels came in (and a label
    text's, once for two runs in a row: `earlier`)."""

    def __init__(self, label_map, base_tags=(), exclude=frozenset(), canonical=None, ids=None, earlier=None):
        self.map = label_map
        self.canonical = canonical  # raw model name -> canonical name (canonical.py), for `canonical_model`
        self.base_tags = frozenset(base_tags)
        self.base_keys = frozenset(t.split(':', 1)[0] for t in base_tags)
        self.exclude = exclude
        self.by_identity = {}
        self.by_text = {}
        self.names = {}  # label name tuple -> itself, shared by every label set with those names
        self.made = {}  # (key, value) -> its tag text, shared by the label sets with that label (a few thousand)
        # raw label -> the values the reply's series carry (the provider's REPLY_IDENTITY labels, filled for the run
        # to compare with the options: identity.py). A user's own labels (`queries:`) are theirs: not read.
        self.ids = None if label_map.own_labels else ids
        # The previous run's `by_text` (the same instance's, whose contexts are built by the same rules): a warm run
        # parses and builds only the label texts that are new. One run back only, so a label set gone from the
        # replies is forgotten a run later.
        self.earlier = earlier or {}

    def of_text(self, text, parse):
        """The context of a label text (`parse` turns it into a dict); label order does not matter."""
        context = self.by_text.get(text)
        if context is not None:
            return context
        context = self.earlier.get(text)
        if context is None:
            context = self.context(parse(text) if text else {})
        else:
            names, values = context.source or (context.names, context.values)
            names = self.names.setdefault(names, names)
            same = self.by_identity.setdefault(names, {}).setdefault(values, context)
            if same is context:
                self._note_ids(context)
            context = same  # (this run read the label set already, its labels in another order)
        self.by_text[text] = context
        return context

    def context(self, labels):
        """The context of a label dict. Empty values are absent labels, as in Prometheus."""
        if '' in labels.values():
            labels = {k: v for k, v in labels.items() if v != ''}
        # The label names (sorted, one shared tuple per name set) and the values in their order: equal exactly when
        # the label sets are, at a fraction of a frozenset of items' memory (a query reply may hold 100k sets).
        names = self._names(labels)
        values = tuple([labels[name] for name in names])
        # {names: {values: context}}: no (names, values) key tuple per label set
        known = self.by_identity.get(names)
        if known is None:
            known = self.by_identity[names] = {}
        context = known.get(values)
        if context is None:
            context = known[values] = self._build(labels, names, values)
        return context

    def _note_ids(self, context):
        """The REPLY_IDENTITY values of a context read this run (built now, or in the run before), for this run's
        comparison with the options."""
        if self.ids:
            for raw, seen in self.ids.items():
                value = context.label(raw)
                if value is not None:
                    seen.add(value)

    def _names(self, labels):
        names = tuple(sorted(labels))
        return self.names.setdefault(names, names)

    def _build(self, labels, names, values):
        m = self.map
        rank, source = 0, None
        if m.derive is not None:
            derived, rank = m.derive(labels)
            if derived is not labels:
                source = (names, values)
                labels, names = derived, self._names(derived)
                values = tuple([labels[name] for name in names])
        tag_of, used, unmapped, problem = {}, {}, [], None
        for raw, key in m.rename.items():
            if raw not in labels:
                continue
            value = labels[raw]
            if key == 'quantile':
                value = normalize_quantile(value)
                if value is None:
                    problem = 'not_a_quantile'
                    continue
            documented = m.variant_of.get(raw)
            if documented is not None and documented not in labels:
                rank = max(rank, 1)
            self._place(raw, key, value, tag_of, used, generic=False)
        for raw in sorted(labels):
            if raw in m.rename or raw in m.ignore:
                continue
            if m.own_labels:
                if m.keep_only and raw not in m.keep_only:
                    continue
            else:
                unmapped.append(raw)
            self._place(raw, tag_key(raw), labels[raw], tag_of, used, generic=not m.own_labels)
        if self.canonical is not None:
            # Every series that carries `model` carries `canonical_model` too: one model's one name across providers.
            for raw, tag in list(tag_of.items()):
                if tag.startswith('model:'):
                    tag_of[(raw, 'canonical')] = self._tag('canonical_model', self.canonical(tag[6:]))
        excluded = ()
        if self.exclude:
            excluded = tuple(
                raw for raw, tag in tag_of.items() if raw in self.exclude or tag.split(':', 1)[0] in self.exclude
            )
        raws = tuple(sorted(tag_of, key=tag_of.__getitem__))
        raws = self.names.setdefault(raws, raws)
        tag_list = tuple([tag_of[raw] for raw in raws])
        context = Context(names, values, raws, tag_list, tuple(unmapped), rank, problem, excluded, source)
        self._note_ids(context)
        return context

    def _tag(self, key, value):
        tag = self.made.get((key, value))
        if tag is None:
            tag = '{}:{}'.format(key, value)
            if len(self.made) < 4096:  # a value unique to each series (a pod) would only grow it
                self.made[key, value] = tag
        return tag

    def _place(self, raw, key, value, tag_of, used, generic):
        tag = self._tag(key, value)
        if tag in self.base_tags:
            return  # repeats an identity tag (the instance's endpoint or account): not sent twice
        if used.get(key) == value:
            tag_of[raw] = tag  # two spellings of one label with the same value: one tag
            return
        if key in RESERVED_TAGS or key in self.base_keys or key in used or (generic and key in self.map.taken):
            key = kept_key(raw)
            if key in used and used[key] != value:
                key = '{}_{}'.format(key, len(used))  # two labels differing only in case or punctuation
            tag = self._tag(key, value)
        used[key] = value
        tag_of[raw] = tag
