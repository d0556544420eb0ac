"""The touchscreen's screens, one ``.py`` (behaviour) and one ``.kv`` (layout) each."""
