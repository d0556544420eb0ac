"""python-for-android's entry point: the phone app with the platform's own Bluetooth."""

from host.app.__main__ import main

main([])
