"""The driver's touchscreen: a Kivy client of the engine's control socket.

The only package on the unit that imports Kivy, and it talks to the engine only through the
control socket (``device.control_client``), so a UI crash or restart never stops the music.
``python -m device.ui [--config FILE]`` runs it; ``python -m device.ui.screenshots OUTDIR``
renders every screen offscreen. Importing this package does not import Kivy.
"""
