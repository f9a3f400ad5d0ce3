# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The closest known name to a misspelt one (`princing` -> `pricing`), for messages that say what to write instead.

Its own module, importing nothing of the package, so the models' hooks, the pricing parser and the option checks can
all use it without importing each other.
"""

import difflib


def closest(name, known):
    """The known name most like `name`, or None when none is close (difflib's ratio of 0.6 or more)."""
    found = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_names(names, known, where='', quote=''):
    """`name (did you mean `closest`?)`, ... for each of `names` not in `known` ('' when all are known); each name
    written `where` + name, between `quote`s."""
    parts = []
    for name in sorted(str(n) for n in names if n not in known):
        part = '{0}{1}{2}{0}'.format(quote, where, name)
        match = closest(name, known)
        if match is not None:
            part += ' (did you mean `{}{}`?)'.format(where, match)
        parts.append(part)
    return ', '.join(parts)
