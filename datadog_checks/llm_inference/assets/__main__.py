# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
import sys

from .command import main

sys.exit(main())
