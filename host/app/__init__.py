"""The phone's app: a Kivy remote for the car unit over Bluetooth LE (``drivetime-host app``).

Screens are clients of ``host.client.DeviceClient`` through ``unit_link``; none of them
touches Bluetooth. Only this package imports Kivy on the phone side.
"""
