"""Exposure from day to night (SPEC §16).

settings.py   the typed ``camera.exposure`` and ``camera.scene`` values
controller.py the controller: a pure function of (state, measurement, limits) -> next settings
measure.py    metering a frame the camera already has
scene.py      the synthetic camera's physical light (a light list, or the sun at a place)
ramp.py       the daemon's side: limits and their clamps, the state file, applying controls
"""
