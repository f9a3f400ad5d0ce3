"""JSON checked against datadog-api-client's own models, for the asset tests and the stand-in of Datadog's API."""

from datadog_api_client import Configuration
from datadog_api_client.model_utils import ModelNormal, validate_and_convert_types


def deserialize(data, model):
    """The model of `data`, type-checked as datadog-api-client checks Datadog's replies (raises if it does not fit)."""
    return validate_and_convert_types(data, (model,), ['body'], True, True, Configuration())


def unparsed(model, path='$', strict=False):
    """Where datadog-api-client could not match the JSON to its model (it keeps such parts as `_unparsed`); with
    `strict`, also every key the model does not declare (the client keeps those as additional properties)."""
    if isinstance(model, list):
        return [p for i, item in enumerate(model) for p in unparsed(item, '{}[{}]'.format(path, i), strict)]
    if isinstance(model, dict):
        return [p for k, v in model.items() for p in unparsed(v, '{}.{}'.format(path, k), strict)]
    attributes = getattr(model, '__dict__', None) or {}
    found = [path] if attributes.get('_unparsed') else []
    for key, item in (attributes.get('_data_store') or {}).items():
        if strict and isinstance(model, ModelNormal) and key not in model.attribute_map:
            found.append('{}.{} (unknown to {})'.format(path, key, type(model).__name__))
        found += unparsed(item, '{}.{}'.format(path, key), strict)
    for composed in attributes.get('_composed_instances') or []:
        found += unparsed(composed, path, strict)
    return found


def problems(data, model):
    """Why `data` is not a valid request body for `model`: a type error, an unparsed or unknown part, or a read-only
    field (Datadog sets those). Empty when it is valid."""
    if not isinstance(data, dict):
        return ['the body is not a JSON object']
    try:
        parsed = deserialize(data, model)
    except Exception as e:
        return ['{}: {}'.format(type(e).__name__, e)]
    read_only = ['$.{} is read-only'.format(k) for k in data if k in model.read_only_vars]
    return read_only + unparsed(parsed, strict=True)
