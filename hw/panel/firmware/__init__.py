"""The panel's MicroPython firmware. Its modules use only what MicroPython and CPython both
run (no dataclasses, no typing at run time, no f-string formatting specs beyond the basics),
so the frame codec is one file shared by the panel and the unit."""
