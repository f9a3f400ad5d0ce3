# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The ids of the objects the assets command wrote, per API URL, in a file on the machine that runs it.

A marker alone cannot tell the command's object from a copy that kept it (a clone, renamed): the recorded id can,
and so the command updates its own object even where someone renamed it, and never adopts a copy. Without a record
(another machine, a lost file) the command's object is the one with the shipped title.
"""

import json
import os

FILE = os.path.join('datadog-llm-inference', 'assets.json')


def default_path(environ):
    """$XDG_STATE_HOME/datadog-llm-inference/assets.json, else under ~/.local/state; None without either."""
    if environ.get('XDG_STATE_HOME'):
        return os.path.join(environ['XDG_STATE_HOME'], FILE)
    if environ.get('HOME'):
        return os.path.join(environ['HOME'], '.local', 'state', FILE)
    return None


class Record:
    def __init__(self, path, url):
        self.path, self.url = path, url
        self.all = {}
        if path and os.path.exists(path):
            try:
                with open(path, encoding='utf-8') as f:
                    self.all = json.load(f)
            except (OSError, ValueError) as e:
                raise RecordError('cannot read the record of installed objects {}: {}'.format(path, e)) from None
        if not isinstance(self.all, dict) or not isinstance(self.all.get(url, {}), dict):
            raise RecordError('{} is not a record of installed objects (a JSON object by API URL)'.format(path))
        self.ids = dict(self.all.get(url, {}))

    def get(self, kind, asset_id):
        return self.ids.get('{}:{}'.format(kind, asset_id))

    def set(self, kind, asset_id, remote_id):
        key = '{}:{}'.format(kind, asset_id)
        if remote_id is None:
            self.ids.pop(key, None)
        else:
            self.ids[key] = str(remote_id)

    def save(self):
        """Writes the record (atomically); returns an error message, or None."""
        if not self.path or self.ids == self.all.get(self.url, {}):
            return None
        self.all[self.url] = dict(sorted(self.ids.items()))
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path + '.tmp', 'w', encoding='utf-8') as f:
                json.dump(self.all, f, indent=1, sort_keys=True)
            os.replace(self.path + '.tmp', self.path)
        except OSError as e:
            return 'could not write the record of installed objects {}: {}'.format(self.path, e)
        return None


class RecordError(Exception):
    pass
