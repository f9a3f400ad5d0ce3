"""The simulated Fireworks and Wafer replies in their own text formats (docs/providers/)."""

from . import models


def _line(name, labels, value):
    inner = ','.join('{}="{}"'.format(k, v) for k, v in labels.items())
    return '{}{{{}}} {!r}'.format(name, inner, float(value))


def fireworks_text(account, t, deployments=models.FIREWORKS_DEPLOYMENTS):
    """Fireworks: no `# TYPE` lines (as seen in public client code), recording-rule names, `le` buckets."""
    lines = []
    for d in deployments:
        if d.account != account:
            continue
        common = {
            'base_model': d.base_model,
            'deployment': 'accounts/{}/deployments/{}'.format(d.account, d.deployment_id),
            'deployment_account': d.account,
            'deployment_id': d.deployment_id,
        }
        for name, value in models.fireworks_gauges(d, t).items():
            lines.append(_line(name, common, value))
        for code, rate in models.fireworks_errors(d, t).items():
            lines.append(_line('requests_error_total:sum_by_deployment', dict(common, http_code=code), rate))
        for family, rows in models.fireworks_buckets(d, t).items():
            for le, rate in rows:
                lines.append(_line('{}_bucket:sum_by_deployment'.format(family), dict(common, le=le), rate))
        lines.append(
            _line(
                'deployment_replicas', {'deployment_account': d.account, 'deployment_id': d.deployment_id}, d.replicas
            )
        )
    return '\n'.join(lines) + '\n'


def wafer_text(endpoint, t):
    """Wafer: `# TYPE ... gauge`, an `endpoint` label on every series, `quantile`/`status_class` where partitioned."""
    lines = []
    for name, value in models.wafer_values(endpoint, t).items():
        lines.append('# TYPE {} gauge'.format(name))
        if isinstance(value, dict):
            label = 'status_class' if name == 'wafer_requests_last_24h' else 'quantile'
            for key, v in value.items():
                lines.append(_line(name, {'endpoint': endpoint, label: key}, v))
        else:
            lines.append(_line(name, {'endpoint': endpoint}, value))
    return '\n'.join(lines) + '\n'
