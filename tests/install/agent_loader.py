"""Runs an installed check the way the Agent's Python loader does, and prints what reached the aggregator as JSON.

Usage: <agent-like python> -I agent_loader.py <conf.d>/llm_inference.d/conf.yaml

Run by tests/install/test_install.py inside a virtualenv that holds only datadog-checks-base (and its dependencies)
and the wheel, as the Agent's embedded Python does: nothing here may import from the repository. What it
reproduces, from DataDog/datadog-agent:
- rtloader `Three::init`: the base class is `datadog_checks.checks.AgentCheck`;
- rtloader `Three::getClass` / `_findSubclassOf`: load the module `datadog_checks.<check>`, walk `dir(module)` in
  order and take the first class that is a strict subclass of the base class and has no subclasses of its own;
- rtloader `Three::getCheck`: `init_config` and each instance reach Python as YAML text and go through the class's
  `load_config`; the class is called with keywords `name`, `init_config`, `instances` (a 1-tuple), then `check_id`
  is set;
- pkg/collector/python `Configure`: when that call raises, it is retried with `agentConfig` (the Agent's
  configuration) as well, and both errors are reported when both fail;
- `run()` returns '' after a good run, else the error as JSON text.
In a plain Python, datadog_checks.base submits to its stubs; they stand in for the Agent's aggregator.
"""

import importlib
import json
import os
import sys
import traceback

import yaml

# rtloader `Three::init` takes the base class from this module (the older name of datadog_checks.base.checks).
AGENT_BASE_MODULE = 'datadog_checks.checks'


def find_check_class(module, base):
    for symbol in dir(module):
        klass = getattr(module, symbol, None)
        if not isinstance(klass, type) or not issubclass(klass, base) or klass is base:
            continue
        if klass.__subclasses__():  # "Agent integrations are supposed to have no subclasses"
            continue
        return klass
    raise LookupError('no leaf subclass of AgentCheck in {}'.format(module.__name__))


def as_yaml_text(value):
    # datadog-checks-base < 37.x makes yaml dump bytes once it is imported; ask for bytes and decode either way.
    return yaml.safe_dump(value, encoding='utf-8').decode('utf-8')


def error_text(e):
    return '{}: {}'.format(type(e).__name__, e)


def main(conf_path):
    check_name = os.path.basename(os.path.dirname(conf_path))[: -len('.d')]
    with open(conf_path, encoding='utf-8') as f:
        conf = yaml.safe_load(f)
    init_config_text = as_yaml_text(conf.get('init_config'))
    instance_texts = [as_yaml_text(instance) for instance in conf['instances']]

    from datadog_checks.base.stubs import aggregator

    base_class = importlib.import_module(AGENT_BASE_MODULE).AgentCheck
    check_package = 'datadog_checks.' + check_name
    module = importlib.import_module(check_package)
    klass = find_check_class(module, base_class)
    report = {
        'python': '{}.{}'.format(*sys.version_info[:2]),
        'module_file': module.__file__,
        'class': klass.__name__,
        'instances': [],
    }
    for number, instance_text in enumerate(instance_texts):
        init_config = klass.load_config(init_config_text) or {}
        instance = klass.load_config(instance_text)
        kwargs = {'name': check_name, 'init_config': init_config, 'instances': (instance,)}
        result = {'constructor_errors': [], 'check_class': None, 'run': None}
        report['instances'].append(result)
        check = None
        for extra in ({}, {'agentConfig': {'hostname': 'agent-host', 'python_version': '3'}}):
            try:
                check = klass(**kwargs, **extra)
                break
            except Exception as e:
                result['constructor_errors'].append(error_text(e))
        if check is None:
            continue
        check.check_id = '{}:{}'.format(check_name, number)
        result['check_class'] = type(check).__name__
        aggregator.reset()
        try:
            result['run'] = check.run()
        except Exception:
            result['run'] = 'run() raised: ' + traceback.format_exc()
        result['metrics'] = [
            {'name': name, 'value': m.value, 'tags': sorted(m.tags), 'type': m.type}
            for name in aggregator.metric_names
            for m in aggregator.metrics(name)
        ]
        result['service_checks'] = [
            {'name': name, 'status': sc.status, 'tags': sorted(sc.tags), 'message': sc.message}
            for name in aggregator.service_check_names
            for sc in aggregator.service_checks(name)
        ]
    json.dump(report, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
