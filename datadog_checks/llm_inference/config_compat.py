# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
"""Which model reads an instance: the generated one, or on an older datadog-checks-base our own stand-in.

The models ddev 20 generates (config_models/, never edited by hand) call
`validation.security.check_field_trusted_provider` for every option that names a file (`tls_ca_cert`, `tls_cert`,
`tls_private_key`, `auth_token`, `kerberos_cache`, `kerberos_keytab`). datadog-checks-base has that module from 37.33.0
only; Agent 7.72 ships 37.21.1, where those options would end in an AttributeError. An older base never builds a
security configuration, and for that case the newer base's check does nothing either: so on such a base the check
loads `InstanceConfig` below, the generated model with that one call left out, and the base is not touched.
"""

import importlib.util

from pydantic import field_validator

from datadog_checks.base.utils.functions import identity
from datadog_checks.base.utils.models import validation

from .config_models import instance, validators

BASE_HAS_SECURITY = importlib.util.find_spec('datadog_checks.base.utils.models.validation.security') is not None


class InstanceConfig(instance.InstanceConfig):
    """The generated model, but an option that names a file is not checked against the trusted providers (a
    validator of the same name replaces the generated one); refused if a security configuration is given anyway."""

    @field_validator('*', mode='before')
    def _validate(cls, value, info):
        field = cls.model_fields[info.field_name]
        if info.field_name not in instance.SECURE_FIELD_NAMES or (
            (field.alias or info.field_name) not in info.context['configured_fields']
        ):
            return instance.InstanceConfig._validate(value, info)
        if info.context.get('security_config') is not None:
            # Only a base with the real module builds one; refuse rather than let it pass unchecked.
            raise ValueError(
                'Field {!r} cannot be checked against the trusted providers: this datadog-checks-base has no '
                'security validation'.format(info.field_name)
            )
        # The generated validator's other steps for a configured option.
        value = getattr(validators, f'instance_{info.field_name}', identity)(value, field=field)
        return validation.utils.make_immutable(value)


# The package (or module) `load_configuration_model` takes the instance's `InstanceConfig` from.
MODELS = instance.__name__.rpartition('.')[0] if BASE_HAS_SECURITY else __name__
