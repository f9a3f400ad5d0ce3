"""Writes assets/dashboards/*.json, assets/monitors/*.json and their lists in manifest.json from the declarations
(see datadog_checks/llm_inference/assets/build.py): the overview, the recommended monitors, each provider's layout
(assets/layouts/<name>.py) and its TITLE, IDENTITY_TAGS, WINDOWS and DEFAULT_REQUESTS_PER_MINUTE. tests/test_assets.py
checks the committed files are what it writes.
Run: .venv/bin/python scripts/build_assets.py
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

if __name__ == '__main__':
    from datadog_checks.llm_inference.assets import build

    if os.path.realpath(build.REPOSITORY) != os.path.realpath(ROOT):
        sys.exit(
            'the package imported is not this checkout\'s ({}): run it with this checkout\'s .venv'.format(
                build.REPOSITORY
            )
        )
    print('\n'.join(build.write(ROOT)) or 'every file is up to date')
