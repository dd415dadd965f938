"""Configuration: pyhocon defaults, configuration directories and environment overrides.

Loaded once by the command line (``load_config``) and passed explicitly; nothing reads
it at import time.
"""

from .loader import load_config
from .tree import Config, ConfigError

__all__ = ["Config", "ConfigError", "load_config"]
