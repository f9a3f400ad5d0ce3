"""The runner's exit status: 0 only when every instance ran OK, so that it can gate a deploy."""

import io

import pytest
import yaml

from datadog_checks.llm_inference import runner

from .common import fixture_text
from .provider_server import Reply
from .test_fireworks import FIREWORKS


def run(tmp_path, instances, *argv):
    conf = tmp_path / 'conf.yaml'
    conf.write_bytes(yaml.safe_dump({'init_config': {}, 'instances': instances}, encoding='utf-8'))
    out = io.StringIO()
    return runner.main([str(conf), '--every', '0', *argv], out=out), out.getvalue()


def test_every_instance_ok_exits_0(provider_server, tmp_path):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    code, text = run(tmp_path, [FIREWORKS.instance(provider_server)], '--times', '2')
    assert code == runner.EXIT_OK == 0, text
    assert text.count('can_connect OK') == 2


def test_a_critical_run_exits_3_even_beside_a_good_instance(provider_server, tmp_path):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    provider_server.reply('/v1/accounts/other/metrics', Reply(status=403, body='forbidden'))
    good = FIREWORKS.instance(provider_server)
    refused = dict(good, account_id='other', api_url=provider_server.url + '/v1/accounts/other/metrics')
    code, text = run(tmp_path, [good, refused])
    assert code == runner.EXIT_CRITICAL == 3, text
    assert 'can_connect CRITICAL' in text


def test_a_warning_run_exits_1(provider_server, tmp_path):
    provider_server.reply(FIREWORKS.path, Reply(status=429, body='slow down', headers={'Retry-After': '30'}))
    code, text = run(tmp_path, [FIREWORKS.instance(provider_server)])
    assert 'can_connect WARNING' in text
    assert code == runner.EXIT_WARNING == 1, text


def test_a_configuration_error_exits_2(provider_server, tmp_path):
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    code, text = run(tmp_path, [FIREWORKS.instance(provider_server), {'provider': 'fireworks', 'api_key': 'k'}])
    assert code == runner.EXIT_CONFIGURATION == 2, text
    assert 'configuration error' in text and '`account_id`' in text


@pytest.mark.parametrize(
    'argv, said', [(['--times', '0'], '--times must be 1 or more'), (['--every', '-1'], '--every must be 0 or more')]
)
def test_arguments_that_would_run_nothing_are_refused(tmp_path, capsys, argv, said):
    with pytest.raises(SystemExit) as e:
        run(tmp_path, [FIREWORKS.instance()], *argv)
    assert e.value.code == 2 and said in capsys.readouterr().err


def test_the_exit_status_is_documented():
    with open(runner.__file__.rsplit('datadog_checks', 1)[0] + 'README.md', encoding='utf-8') as f:
        readme = ' '.join(f.read().split())
    for code, meaning in ((0, 'OK'), (1, 'WARNING'), (2, 'configuration error'), (3, 'CRITICAL')):
        assert '`{}`'.format(code) in readme and meaning in readme
    assert 'exit status' in runner.EXIT_STATUS


def test_an_instance_meant_to_fail_counts_as_ok_only_when_it_fails(provider_server, tmp_path):
    """`--expect-critical TAG` (the demo's deliberate failure): CRITICAL is what such an instance should end in."""
    provider_server.reply(FIREWORKS.path, Reply(body=fixture_text('fireworks_live.txt')))
    provider_server.reply('/v1/accounts/other/metrics', Reply(status=403, body='forbidden'))
    good = FIREWORKS.instance(provider_server)
    refused = dict(
        good,
        account_id='other',
        api_url=provider_server.url + '/v1/accounts/other/metrics',
        tags=['demo:failing-instance'],
    )
    code, text = run(tmp_path, [good, refused], '--expect-critical', 'demo:failing-instance')
    assert code == runner.EXIT_OK, text
    # The same tag on an instance that collects is not what was expected.
    code, text = run(tmp_path, [dict(good, tags=['demo:failing-instance'])], '--expect-critical', 'demo:failing-instance')
    assert code == runner.EXIT_CRITICAL, text
