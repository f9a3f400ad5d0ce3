"""The catalog: quantile spelling, and that metadata.csv and what the suite emits are the same list."""

import csv
import os

import pytest

from datadog_checks.llm_inference.specs import RESERVED_TAGS, normalize_quantile

from .common import ROOT


@pytest.mark.parametrize(
    'raw, expected',
    [
        ('0.5', '0.5'),
        ('0.50', '0.5'),
        ('0.99', '0.99'),
        ('p99', '0.99'),
        ('P99', '0.99'),
        ('p50', '0.5'),
        ('p5', '0.05'),
        ('p999', '0.999'),
        ('p99.9', '0.999'),
        ('99', '0.99'),
        ('1', '1'),
        ('0', '0'),
        # The maximum is the 1-quantile, the minimum the 0-quantile: Wafer has sent quantile="max".
        ('max', '1'),
        ('MAX', '1'),
        ('min', '0'),
    ],
)
def test_normalize_quantile(raw, expected):
    assert normalize_quantile(raw) == expected


@pytest.mark.parametrize('raw', ['', 'mean', 'avg', 'p', '-0.5', '150', 'nan', 'p99x'])
def test_not_a_quantile(raw):
    assert normalize_quantile(raw) is None


def metadata_rows():
    with open(os.path.join(ROOT, 'metadata.csv'), encoding='utf-8') as f:
        return list(csv.DictReader(f))


@pytest.mark.catalog_coverage
def test_every_metadata_row_is_emitted_and_nothing_else(whole_suite_emitted):
    metrics, service_checks, _ = whole_suite_emitted
    documented = {row['metric_name'] for row in metadata_rows()}
    emitted = {name for name in metrics if name.startswith('llm_inference.')}
    assert sorted(documented - emitted) == [], 'in metadata.csv but emitted by no test'
    assert sorted(emitted - documented) == [], 'emitted but missing from metadata.csv'
    assert 'llm_inference.can_connect' in service_checks


@pytest.mark.catalog_coverage
def test_no_reserved_tag_is_emitted(whole_suite_emitted):
    metrics, _, _ = whole_suite_emitted
    for name, tags in metrics.items():
        keys = {tag.split(':', 1)[0] for tag in tags}
        assert not keys & RESERVED_TAGS, (name, keys & RESERVED_TAGS)
