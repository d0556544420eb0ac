"""The control panel: knob, four preset buttons, back, ignition sense and ambient light on a
small microcontroller, reached over USB serial with a framed, CRC-checked protocol."""
