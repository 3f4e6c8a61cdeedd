"""newsbeam's settings: one file (`newsbeam.toml`), one name per setting, one precedence.

`schema` lists the settings, `file` reads and checks the file, `resolve` decides
each value (flag > environment > file > default) and remembers where it came
from, and `build` turns them into the objects the pipelines take. See
docs/configuration.md.
"""

from newsbeam.config.file import Problem, read_config_file
from newsbeam.config.resolve import CONFIG_ENV, DEFAULT_FILE, ConfigError, Configuration, Resolved

__all__ = ["CONFIG_ENV", "DEFAULT_FILE", "ConfigError", "Configuration", "Problem", "Resolved", "read_config_file"]
