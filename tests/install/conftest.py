def pytest_collection_modifyitems(config, items):
    """The install test builds virtualenvs: it runs only when asked for, with `-m install` (as .ci/run does).

    Deselected here rather than with a default `-m 'not install'`, which would make every run a marked one (and the
    whole-suite coverage tests skip themselves in marked runs).
    """
    if 'install' in (config.getoption('markexpr') or ''):
        return
    selected = [item for item in items if item.get_closest_marker('install') is None]
    if len(selected) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in selected])
        items[:] = selected
