# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""The TLS files an instance names (`tls_ca_cert`, `tls_cert`, `tls_private_key`), loaded before a request is sent
over https, so that a missing or unreadable one is a CRITICAL run naming the option and the file.

Left to the base, the same mistake names neither, and differs with its version: an OSError from the depths of
requests, an exception while the TLS context is built, or only a warning in the Agent's log and then a handshake that
fails ("SSLError: check the URL, DNS...") or goes on without the client certificate.
"""

import os
import re
import ssl

from .errors import TlsFileError

PURPOSE = {
    'tls_ca_cert': 'the PEM file (or folder) of the CA certificates that sign the provider\'s certificate',
    'tls_cert': 'the PEM file of the client certificate',
    'tls_private_key': 'the PEM file of the client certificate\'s private key',
}


class TlsFiles:
    """The instance's TLS files; each is loaded again only when one of them changed (its size, time or presence)."""

    def __init__(self, instance):
        self.paths = {option: _path(instance.get(option)) for option in PURPOSE}
        if not self.paths['tls_cert']:
            self.paths['tls_private_key'] = None  # the base uses a key only with its certificate
        password = instance.get('tls_private_key_password')
        # Never None: OpenSSL would then ask for the password of an encrypted key on the terminal.
        self.password = password if isinstance(password, str) else ''
        self.checked = None  # (the files' stamp, the problem found or None)

    def check(self):
        """Raise TlsFileError, naming the option and the file, unless every file set loads."""
        if not any(self.paths.values()):
            return
        stamp = tuple(_stamp(path) for path in self.paths.values())
        if self.checked is None or self.checked[0] != stamp:
            self.checked = (stamp, self._problem())
        if self.checked[1]:
            raise TlsFileError(self.checked[1])

    def _problem(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        for option, path in self.paths.items():
            if path is None:
                continue
            try:
                if os.path.isdir(path):
                    if option != 'tls_ca_cert':
                        return _say(option, path, 'is a folder, not a file')
                    os.listdir(path)  # OpenSSL reads a CA folder only as it needs each certificate
                elif option == 'tls_ca_cert':
                    context.load_verify_locations(cafile=path)
                else:
                    open(path, 'rb').close()
            except FileNotFoundError:
                return _say(option, path, 'does not exist')
            except PermissionError:
                return _say(option, path, 'cannot be read by the user the Agent runs as (permission denied)')
            except ssl.SSLError as e:
                return _say(option, path, 'holds no certificate TLS can read ({})'.format(_reason(e)))
            except OSError as e:
                return _say(option, path, 'cannot be read ({})'.format(e.strerror or type(e).__name__))
        cert, key = self.paths['tls_cert'], self.paths['tls_private_key']
        if cert:
            try:
                context.load_cert_chain(cert, keyfile=key, password=self.password)
            except (ssl.SSLError, OSError) as e:
                return (
                    '`tls_cert` {} and `tls_private_key` {} cannot be loaded as a client certificate and its key ({}): '
                    'check that both are PEM files of one certificate and its key, and that `tls_private_key_password` '
                    'is the key\'s password if the key is encrypted; nothing was sent.'.format(
                        cert, key or '(not set: the key is read from `tls_cert`)', _reason(e)
                    )
                )
        return None


def _path(value):
    return os.path.expanduser(value) if isinstance(value, str) and value else None


def _stamp(path):
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError as e:
        return (path, type(e).__name__)
    return (path, stat.st_mtime_ns, stat.st_size, stat.st_mode)


def _reason(error):
    text = getattr(error, 'reason', None) or getattr(error, 'strerror', None) or type(error).__name__
    return re.sub(r' \(_ssl\.c:\d+\)$', '', str(text))  # where in CPython it was raised says nothing to fix


def _say(option, path, problem):
    return '`{}` {} {}: set `{}` to {}; nothing was sent.'.format(option, path, problem, option, PURPOSE[option])
