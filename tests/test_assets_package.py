"""The dashboards, monitors and SLOs travel in the wheel and the assets command finds them there, in a checkout, and in
an environment without datadog-api-client (the Agent's), where it says how to install it."""

import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile

from datadog_checks.llm_inference import assets

from .common import ROOT
from .datadog_api import DatadogStandIn

KEYS = {'DD_API_KEY': 'apikey-wheel-test-0001', 'DD_APP_KEY': 'appkey-wheel-test-0002'}
PACKAGED = 'datadog_checks/llm_inference/assets/'


def repo_assets():
    """{path inside the package's assets/: bytes} of every dashboard, monitor and SLO file in git's one copy."""
    found = {}
    for kind in assets.KINDS:
        for name in sorted(os.listdir(os.path.join(ROOT, 'assets', kind))):
            with open(os.path.join(ROOT, 'assets', kind, name), 'rb') as f:
                found['{}/{}'.format(kind, name)] = f.read()
    return found


def wheel_assets(path):
    with zipfile.ZipFile(path) as wheel:
        return {
            name[len(PACKAGED) :]: wheel.read(name)
            for name in wheel.namelist()
            if name.startswith(PACKAGED) and name.endswith('.json')
        }


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith('DD_') and k != 'PYTHONPATH'}
    env.update(extra)
    return env


def test_a_checkout_reads_the_repository_copy():
    assert assets.directory() == os.path.join(ROOT, 'assets')
    shipped = assets.shipped()
    files = sorted({os.path.relpath(a.path, os.path.join(ROOT, 'assets')) for a in shipped})
    assert files == sorted(repo_assets())
    assert {a.kind for a in shipped} == {'dashboard', 'monitor', 'slo'}
    # An SLO file is its SLO and its burn-rate monitors, which follow it.
    slo = next(n for n, a in enumerate(shipped) if a.kind == 'slo')
    burn_rate = ['slo_availability.burn_1h', 'slo_availability.burn_6h']
    assert [a.id for a in shipped[slo : slo + 3]] == ['slo_availability'] + burn_rate
    assert all(a.path.startswith(os.path.join(ROOT, 'assets')) for a in shipped)


def test_without_datadog_api_client_it_says_how_to_install_it(tmp_path):
    # The Agent's environment has no datadog-api-client: the module imports, `path` works, install says what to do.
    block = (
        "import runpy, sys; sys.modules['datadog_api_client'] = None; "
        "runpy.run_module('datadog_checks.llm_inference.assets', run_name='__main__')"
    )
    command = [sys.executable, '-c', block]
    done = subprocess.run(command + ['install'], env=environment(**KEYS), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "pip install 'datadog-llm-inference[assets]'" in done.stderr
    assert '/opt/datadog-agent/embedded/bin/pip install' in done.stderr
    assert 'Traceback' not in done.stderr and done.stdout == ''
    done = subprocess.run(command + ['path'], env=environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == os.path.join(ROOT, 'assets')


def test_the_installed_wheel_carries_the_assets_and_its_command_uses_them(tmp_path):
    dist = tmp_path / 'dist'
    build = [sys.executable, '-m', 'hatchling', 'build', '-d', str(dist)]
    subprocess.run(build + ['-t', 'wheel', '-t', 'sdist'], cwd=ROOT, check=True, capture_output=True, timeout=120)
    (wheel,) = dist.glob('*.whl')
    (sdist,) = dist.glob('*.tar.gz')
    # Every JSON file, byte for byte, from git's one copy.
    assert wheel_assets(wheel) == repo_assets()
    # A wheel built from the sdist (as `python -m build` does) carries them too.
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path / 'sdist', filter='data')
    (unpacked,) = (tmp_path / 'sdist').iterdir()
    subprocess.run(
        build[:-1] + [str(tmp_path / 'from-sdist'), '-t', 'wheel'],
        cwd=unpacked,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (rebuilt,) = (tmp_path / 'from-sdist').glob('*.whl')
    assert wheel_assets(rebuilt) == repo_assets()

    # Install it (no deps, no index) into a fresh environment that borrows this one's dependencies but not its
    # editable install of the checkout.
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=60)
    python = str(venv / 'bin' / 'python')
    pip = [sys.executable, '-m', 'pip', '--python', python, 'install', '-q', '--no-deps', '--no-index', str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=120, env=environment())
    site = subprocess.run(
        [python, '-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with open(os.path.join(site, 'dependencies.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    module = [python, '-m', 'datadog_checks.llm_inference.assets']
    run = dict(cwd=tmp_path, capture_output=True, text=True, timeout=120)

    done = subprocess.run(module + ['path'], env=environment(), **run)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == os.path.join(site, 'datadog_checks', 'llm_inference', 'assets')

    with DatadogStandIn(KEYS['DD_API_KEY'], KEYS['DD_APP_KEY']) as datadog:
        done = subprocess.run(
            module + ['install', '--api-url', datadog.url, '--notify', '@oncall'], env=environment(**KEYS), **run
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == '{} created ({})'.format(len(assets.shipped()), datadog.url)
        assert datadog.rejected == []
        assert {d['title'] for d in datadog.dashboards.values()} == {
            a.data['title'] for a in assets.shipped() if a.kind == 'dashboard'
        }
        assert all(m['message'].endswith('@oncall') for m in datadog.monitors.values())
        assert len(datadog.monitors) == sum(1 for a in assets.shipped() if a.kind == 'monitor')
        assert len(datadog.slos) == len(assets.paths('slos')) > 0
