# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Hooks of the generated models (ddev writes this file once and never regenerates it).

The models ddev 20 generates call `validation.security.check_field_trusted_provider` for every option that names a
file (`tls_ca_cert`, `tls_cert`, `tls_private_key`, `auth_token`, `kerberos_cache`, `kerberos_keytab`).
datadog-checks-base has that module from 37.33.0 only; Agent 7.72 ships 37.21.1, so on such an Agent every run of
an instance that sets one of those options would end in an AttributeError. An older base never builds a security
configuration (the models' context has no `security_config`), and for that case the newer base's check does
nothing either: so where the module is missing, the models get a stand-in with that behaviour. Where the base has
the module, it is used as it is.
"""

from types import SimpleNamespace

from datadog_checks.base.utils.models import validation


def _check_field_trusted_provider(field_name, value, security_config):
    if security_config is not None:
        # Only a base with the real module builds a security configuration; refuse rather than let it pass unchecked.
        raise ValueError(
            'Field {!r} cannot be checked against the trusted providers: this datadog-checks-base has no '
            'security validation'.format(field_name)
        )


if not hasattr(validation, 'security'):
    validation.security = SimpleNamespace(check_field_trusted_provider=_check_field_trusted_provider)
