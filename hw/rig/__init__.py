"""The hardware-in-the-loop test rig (``drivetime-rig``): a second machine that is the unit's
world — its panel, its line-in, its phone and its rooms — runs a suite of steps a driver
would notice and reports pass/fail per step (JUnit XML and a table). See docs/rig.md.

Modules: ``world`` (the four hands and the unit's power, local or real), ``suite`` (the
steps), ``tones`` (which room is heard, how loud), ``capture`` (the line-in), ``panel_line``
(the panel's serial line), ``phone``, ``rooms``, ``unit``, ``report``.
"""
