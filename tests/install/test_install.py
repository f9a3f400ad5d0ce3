"""The check installed and run as the Agent installs and runs it, on every base of scripts/legs.

For each leg: a fresh virtualenv with that leg's Python and only that leg's datadog-checks-base (and the base's own
dependencies, as the Agent's embedded Python holds them); the wheel installed as `agent integration install -w`
installs it (`pip install --no-deps --no-index --constraint`); `data/*.yaml*` copied to `conf.d/llm_inference.d/`;
then agent_loader.py, in that virtualenv, loads the class and constructs and runs it the Agent's way against the
simulator served over mutual TLS, so that the options naming certificate files go through the generated config
models of that base. What the installed check reports must equal what the repository's check reports in process.

Slow (a virtualenv per leg): deselected by default; `.venv/bin/python -m pytest -m install tests/install` (CI).
"""

import datetime
import hashlib
import ipaddress
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import zipfile
from dataclasses import dataclass

import pytest
import yaml

from datadog_checks.base import AgentCheck
from datadog_checks.dev.utils import get_metadata_metrics
from datadog_checks.llm_inference import LlmInferenceCheck
from simulator import fireworks, traffic
from ..common import model_tags
from simulator.server import Simulator

pytestmark = pytest.mark.install
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOADER = os.path.join(ROOT, 'tests', 'install', 'agent_loader.py')
CANARY = 'fw-key-canary-9d1e'


@dataclass(frozen=True)
class Leg:
    name: str
    python: str
    base: str  # the datadog-checks-base requirement of the leg's requirements file
    on_top: str  # installed afterwards without dependencies, or ''


def read_legs():
    legs = []
    with open(os.path.join(ROOT, 'scripts', 'legs'), encoding='utf-8') as f:
        for line in f:
            if not line.strip() or line.startswith('#'):
                continue
            name, python, requirements, on_top = line.split()
            with open(os.path.join(ROOT, requirements), encoding='utf-8') as r:
                (base,) = [x.strip() for x in r if x.startswith('datadog-checks-base')]
            legs.append(Leg(name, python, base, '' if on_top == '-' else on_top))
    return legs


LEGS = read_legs()


def run(*command, **kwargs):
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONHOME')}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, **kwargs)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    return result.stdout


def build_wheel(source, out):
    env_epoch = {k: v for k, v in os.environ.items() if k != 'SOURCE_DATE_EPOCH'}
    result = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '-w', str(out), str(source)],
        capture_output=True,
        text=True,
        env=env_epoch,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = out.glob('*.whl')
    return wheel


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """The wheel as README builds it, twice: from this tree, and from a copy of it (other paths, other file times)."""
    first = build_wheel(ROOT, tmp_path_factory.mktemp('dist-1'))
    copy = tmp_path_factory.mktemp('copy') / 'llm_inference'
    shutil.copytree(
        ROOT,
        copy,
        copy_function=shutil.copy,  # new modification times
        ignore=shutil.ignore_patterns('.git', '.venv*', 'dist', 'build', '*.egg-info', '__pycache__', '.*cache*'),
    )
    second = build_wheel(copy, tmp_path_factory.mktemp('dist-2'))
    # Reproducible: hatchling (pinned in pyproject.toml) stamps every entry with SOURCE_DATE_EPOCH (default 2020-02-02).
    assert first.name == second.name
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256(second.read_bytes()).hexdigest()
    return first


def test_the_wheel_is_what_the_agent_accepts(wheel):
    assert re.fullmatch(r'datadog_llm_inference-[\d.]+-py3-none-any\.whl', wheel.name)  # any OS, any Python 3
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (metadata,) = [n for n in names if n.endswith('.dist-info/METADATA')]
        text = z.read(metadata).decode()
    # `integration install -w` refuses a wheel without this line; the package name gives the check name.
    assert 'Requires-Dist: datadog-checks-base>=37.0.0' in text.splitlines()
    assert re.search(r'^Name: datadog-llm-inference$', text, re.M)
    assert 'datadog_checks/llm_inference/data/conf.yaml.example' in names
    assert 'datadog_checks/llm_inference/config_models/validators.py' in names
    assert not [n for n in names if n.startswith(('tests/', 'simulator/', 'benchmarks/')) or '__pycache__' in n]


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory = tmp_path_factory.mktemp('pki')
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def certificate(subject, key, issuer, issuer_key, ca, extra):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=not ca,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        for extension in extra:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def write(filename, data):
        path = directory / filename
        path.write_bytes(data)
        return str(path)

    def key_pem(key):
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate(name('llm_inference test CA'), ca_key, name('llm_inference test CA'), ca_key, True, [])
    files = {'ca': write('ca.pem', ca.public_bytes(serialization.Encoding.PEM))}
    loopback = [x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address('127.0.0.1'))])]
    for role, usage, san in (
        ('server', ExtendedKeyUsageOID.SERVER_AUTH, loopback),
        ('client', ExtendedKeyUsageOID.CLIENT_AUTH, []),
    ):
        key = ec.generate_private_key(ec.SECP256R1())
        extensions = [x509.ExtendedKeyUsage([usage])] + san
        cert = certificate(name('llm_inference ' + role), key, ca.subject, ca_key, False, extensions)
        files[role] = write(role + '.pem', cert.public_bytes(serialization.Encoding.PEM))
        files[role + '_key'] = write(role + '.key', key_pem(key))
    return files


class Clock:
    def __init__(self, start):
        self.t = start

    def __call__(self):
        return self.t


@pytest.fixture(scope='module')
def tls_simulator(pki):
    """The simulator's Fireworks and Wafer endpoints over TLS that require a client certificate from the test CA."""
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    clock = Clock(now - (now % traffic.SPIKE_EVERY) + traffic.SPIKE_FOR + 60)  # outside the simulated error spikes
    sim = Simulator(clock=clock, with_engines=False)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki['server'], pki['server_key'])
    context.load_verify_locations(pki['ca'])
    context.verify_mode = ssl.CERT_REQUIRED
    sim.scrape.httpd.socket = context.wrap_socket(sim.scrape.httpd.socket, server_side=True)
    with sim:
        yield sim, clock, 'https://127.0.0.1:{}/v1/accounts/acme/metrics'.format(sim.scrape.port)


def instances(example_instance, url, pki):
    good = dict(
        example_instance,
        api_key=fireworks.KEY,
        account_id='acme',
        api_url=url,
        min_collection_interval=60,
        tls_verify=True,
        tls_ca_cert=pki['ca'],
        tls_cert=pki['client'],
        tls_private_key=pki['client_key'],
    )
    no_client_certificate = {k: v for k, v in good.items() if k not in ('tls_cert', 'tls_private_key')}
    missing_account = {'provider': 'fireworks', 'api_key': CANARY}
    return good, missing_account, no_client_certificate


def agent_like_environment(leg, directory, wheel):
    """A virtualenv holding the leg's base and the wheel installed as the Agent installs it; returns its python."""
    venv = directory / 'venv'
    run('env', *run(os.path.join(ROOT, 'scripts', 'find-python'), leg.python).split(), '-m', 'venv', str(venv))
    python = str(venv / 'bin' / 'python')
    pip = [python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    run(*pip, leg.base)
    if leg.on_top:
        run(*pip, '--no-deps', leg.on_top)
    before = set(run(python, '-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check').split())
    constraints = directory / 'final_constraints-py3.txt'
    constraints.write_text('\n'.join(sorted(before)) + '\n')
    # What `datadog-agent integration install -w <wheel>` runs (cmd/agent/subcommands/integrations/command.go).
    run(*pip, '--constraint', str(constraints), '--no-cache-dir', '--no-index', '--no-deps', str(wheel))
    after = set(run(python, '-m', 'pip', 'list', '--format=freeze', '--disable-pip-version-check').split())
    assert after - before == {'datadog-llm-inference==' + wheel.name.split('-')[1]}
    assert before - after == set()  # nothing of the Agent's environment replaced
    return python


def copy_configuration_files(python, confd):
    """As the Agent after installing: every `data/` file named like `[\\w_]+\\.yaml.*` to conf.d/<check>.d/."""
    purelib = run(python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])').strip()
    source = os.path.join(purelib, 'datadog_checks', 'llm_inference', 'data')
    destination = confd / 'llm_inference.d'
    destination.mkdir(parents=True)
    for filename in os.listdir(source):
        if re.search(r'[\w_]+\.yaml.*', filename):
            shutil.copyfile(os.path.join(source, filename), destination / filename)
    return purelib, destination


def metric_rows(metrics):
    return sorted((m['name'], m['value'], tuple(m['tags'])) for m in metrics)


@pytest.mark.parametrize('leg', LEGS, ids=[leg.name for leg in LEGS])
def test_installed_check_runs_as_in_the_agent(leg, wheel, tls_simulator, pki, tmp_path, aggregator, dd_run_check):
    sim, clock, url = tls_simulator
    clock.t += 60  # a new simulated minute for each leg: the simulator allows 6 requests a minute per account
    requests_before = len(sim.scrape.requests)

    python = agent_like_environment(leg, tmp_path, wheel)
    purelib, conf_dir = copy_configuration_files(python, tmp_path / 'conf.d')
    assert sorted(os.listdir(conf_dir)) == ['conf.yaml.example']
    example = yaml.safe_load((conf_dir / 'conf.yaml.example').read_text())
    good, missing_account, no_client_certificate = instances(example['instances'][0], url, pki)
    conf = conf_dir / 'conf.yaml'  # the user's copy of the example, edited
    conf.write_bytes(
        yaml.safe_dump(
            {'init_config': example['init_config'], 'instances': [good, missing_account, no_client_certificate]},
            encoding='utf-8',
        )
    )

    report = json.loads(run(python, '-I', LOADER, str(conf), cwd=str(tmp_path)))
    assert report['python'] == leg.python
    assert report['module_file'].startswith(purelib)  # the installed wheel, not this repository
    assert report['class'] == 'LlmInferenceCheck'
    installed, refused, no_certificate = report['instances']

    # The good instance: one request over mutual TLS, the same report as the repository's check in process.
    assert installed['constructor_errors'] == []
    assert installed['check_class'] == 'FireworksCheck'
    assert installed['run'] == ''
    statuses = [(sc['name'], sc['status']) for sc in installed['service_checks']]
    assert statuses == [('llm_inference.can_connect', AgentCheck.OK)]
    check = LlmInferenceCheck('llm_inference', {}, [good])
    dd_run_check(check)
    aggregator.assert_metrics_using_metadata(get_metadata_metrics())
    reference = [
        {'name': name, 'value': m.value, 'tags': sorted(m.tags)}
        for name in aggregator.metric_names
        for m in aggregator.metrics(name)
    ]
    assert metric_rows(installed['metrics']) == metric_rows(reference)
    for m in installed['metrics']:
        aggregator.assert_metric(m['name'], value=m['value'], tags=m['tags'])
    aggregator.assert_all_metrics_covered()
    rates = {tuple(m['tags']): m['value'] for m in installed['metrics'] if m['name'] == 'llm_inference.requests.rate'}
    for d in fireworks.DEPLOYMENTS:
        tags = ('account:acme', 'deployment:' + d.deployment_id, *model_tags(d.base_model), 'provider:fireworks')
        expected = fireworks.deployment_load(d, clock.t)
        assert rates[tuple(sorted(tags + ('window:1m',)))] == pytest.approx(expected, rel=1e-9)

    # A bad instance: both of the Agent's constructor calls end in the configuration error that names the option.
    assert refused['check_class'] is None
    assert len(refused['constructor_errors']) == 2
    for error in refused['constructor_errors']:
        assert error.startswith('ConfigurationError: ') and '`account_id`' in error and CANARY not in error

    # Without the client certificate the server refuses the handshake: the TLS options are what made it work.
    (error,) = json.loads(no_certificate['run'])  # the run's error, as the Agent shows it
    assert 'SSLError' in error['message'] and fireworks.KEY not in no_certificate['run']
    assert [(sc['name'], sc['status']) for sc in no_certificate['service_checks']] == [
        ('llm_inference.can_connect', AgentCheck.CRITICAL)
    ]
    assert not [m for m in no_certificate['metrics'] if not m['name'].startswith('llm_inference.integration.')]
    assert (
        sim.scrape.requests[requests_before:] == [('fireworks', 200)] * 2
    )  # the installed check's and the reference's


def find_python(version):
    """A command that runs Python `version` here (scripts/find-python), as a list, or None."""
    found = subprocess.run(
        [os.path.join(ROOT, 'scripts', 'find-python'), version], capture_output=True, text=True, timeout=60
    )
    return found.stdout.split() if found.returncode == 0 else None


def test_the_build_script_makes_the_same_wheel_with_python_3_11(wheel, tmp_path):
    """README's build step where `python3` is 3.11 (Debian 12): the wheel of any other Python, byte for byte."""
    python = find_python('3.11')
    if python is None:
        pytest.skip('no Python 3.11 on this machine')
    env = dict(os.environ, PYTHON=' '.join(python))
    env.pop('SOURCE_DATE_EPOCH', None)
    built = subprocess.run(
        [os.path.join(ROOT, 'scripts', 'build-wheel'), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    path = built.stdout.strip().splitlines()[-1]
    assert os.path.basename(path) == wheel.name
    with open(path, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(wheel.read_bytes()).hexdigest()


def readme_assets_commands():
    """The shell block of README's "Put the dashboards and monitors into your organization"."""
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as f:
        section = f.read().split('### Put the dashboards and monitors into your organization', 1)[1]
    return section.split('```bash\n', 1)[1].split('```', 1)[0].splitlines()


@pytest.mark.parametrize('python', sorted({leg.python for leg in LEGS}))
def test_readme_assets_commands_run_from_a_virtualenv_holding_only_the_wheel(python, wheel, tmp_path):
    """README's commands as written, in a fresh virtualenv with the wheel and its `assets` extra only, against the
    Datadog stand-in. What differs from a user's shell: the keys come from the environment (not `export ...`), the
    interpreter is the one scripts/find-python finds (pyenv's shims refuse a bare `python3.13`), and `--api-url`
    points the command at the stand-in."""
    from ..datadog_api import DatadogStandIn

    interpreter = find_python(python)
    assert interpreter, 'no Python {} here (scripts/find-python)'.format(python)
    work, home = tmp_path / 'checkout', tmp_path / 'home'
    (work / 'dist').mkdir(parents=True)
    home.mkdir()
    shutil.copy(wheel, work / 'dist' / wheel.name)
    api_key, app_key = 'apikey-readme-3c1f9e', 'appkey-readme-7a2d4b'
    with DatadogStandIn(api_key, app_key) as datadog:
        script = ['set -euo pipefail']
        for line in readme_assets_commands():
            if line.startswith('export '):
                continue
            if line.startswith('python3.'):
                line = 'env {} {}'.format(' '.join(interpreter), line.split(' ', 1)[1])
            if '-m datadog_checks.llm_inference.assets' in line:
                line = line.split('  #')[0] + ' --api-url ' + datadog.url
            script.append(line)
        env = {
            'PATH': os.environ['PATH'],
            'HOME': str(home),
            'DD_API_KEY': api_key,
            'DD_APP_KEY': app_key,
            'PIP_DISABLE_PIP_VERSION_CHECK': '1',
        }
        env.update({k: v for k, v in os.environ.items() if k.startswith(('PYENV', 'PIP_')) and k != 'PIP_USER'})
        result = subprocess.run(
            ['bash', '-c', '\n'.join(script)], cwd=work, env=env, capture_output=True, text=True, timeout=900
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        assert api_key not in output and app_key not in output
        assert datadog.rejected == []
        assert len(datadog.dashboards) == len([n for n in os.listdir(os.path.join(ROOT, 'assets', 'dashboards'))])
        # The monitors of assets/monitors/, and each SLO of assets/slos/ with its burn-rate monitors.
        slo_dir = os.path.join(ROOT, 'assets', 'slos')
        slos = [json.load(open(os.path.join(slo_dir, n), encoding='utf-8')) for n in sorted(os.listdir(slo_dir))]
        burn_rate = sum(len(slo['burn_rate_monitors']) for slo in slos)
        monitors = len([n for n in os.listdir(os.path.join(ROOT, 'assets', 'monitors'))])
        assert len(datadog.slos) == len(slos) and burn_rate == 2 * len(slos)
        assert len(datadog.monitors) == monitors + burn_rate
        assert all(m['message'].endswith('@pagerduty-llm-oncall') for m in datadog.monitors.values())
    venv_python = str(home / 'llm-inference-assets' / 'bin' / 'python')
    assert run(venv_python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])').strip() == python
    freeze = run(venv_python, '-m', 'pip', 'list', '--format=freeze').split()
    installed = {line.split('==')[0].lower() for line in freeze}
    assert 'datadog-llm-inference' in installed and 'ddtrace' not in installed  # the extra, not the Agent's environment
