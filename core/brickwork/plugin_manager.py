"""The plugin machinery's names, from where they live (kept for importers).

* :mod:`brickwork.plugins.discovery`: entry points, records, clash policy;
* :mod:`brickwork.plugins.kernel_table`: kernel specs and kernel tables;
* :mod:`brickwork.layers.plugin_layers`: layers that plugins add;
* :func:`brickwork.backend.ensure_plugins_loaded`: load the plugins now.

This module imports only the first two, so ``backend.py`` may import it.
"""
from __future__ import annotations

from brickwork.plugins.discovery import (BUILTIN_DISTRIBUTION, DISABLE_AUTOLOAD_ENV,  # noqa: F401
                                         DISABLED_PLUGINS_ENV, BrickworkPluginWarning,
                                         PluginManager, PluginRecord, add_registration_handler)
from brickwork.plugins.kernel_table import (BackendError, kernel_spec_names,  # noqa: F401
                                            spec_names_of)

__all__ = ["BUILTIN_DISTRIBUTION", "DISABLE_AUTOLOAD_ENV", "DISABLED_PLUGINS_ENV",
           "BrickworkPluginWarning", "PluginManager", "PluginRecord", "add_registration_handler",
           "BackendError", "kernel_spec_names", "spec_names_of"]
