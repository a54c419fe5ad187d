"""The plugin machinery, one concern per module.

* :mod:`~brickwork.plugins.kernel_table`: the kernel specs' names, checking a
  kernel against its spec, and resolving the registered hookimpls into one
  plain function per spec for a backend (all that ``backend.py`` needs);
* :mod:`~brickwork.plugins.discovery`: entry points, the record of what each
  plugin registered, and the rules that settle clashes between plugins.

What a plugin adds beyond backends and kernels is registered by the part of
brickwork that owns it, through
:func:`~brickwork.plugins.discovery.add_registration_handler` (plugin layers:
:mod:`brickwork.layers.plugin_layers`). None of these modules imports layers,
models or saving.
"""
