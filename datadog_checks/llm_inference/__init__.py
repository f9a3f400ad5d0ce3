# (C) llm_inference developers
# Licensed under a 3-clause BSD style license (see LICENSE)
from .__about__ import __version__
from .check import LlmInferenceCheck

__all__ = ['__version__', 'LlmInferenceCheck']
