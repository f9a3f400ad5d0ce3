"""Prometheus text lines, as the scrape providers write them."""


def line(name, labels, value):
    inner = ','.join('{}="{}"'.format(k, v) for k, v in labels.items())
    return '{}{{{}}} {!r}'.format(name, inner, float(value))


def text(lines):
    return '\n'.join(lines) + '\n'
