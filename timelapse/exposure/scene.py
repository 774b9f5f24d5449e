"""The synthetic camera's physical scene (SPEC §16): how much light there is, in lux, at a moment.

Two kinds, as ``camera.scene`` gives them:

- ``{light: [[SECONDS, LUX], ...]}``: light levels at seconds since the process started, interpolated
  on a log scale (lux changes by ratios: a sunset is a straight line in EV), held before the first and
  after the last point.
- ``{latitude, longitude, speed}``: daylight from the sun's elevation at that place, the simulated
  time starting at the real time the process started and running ``speed`` times faster. The model
  (``DAYLIGHT``) is a smooth curve through typical clear-sky illuminance figures, interpolated on a
  log scale over the elevation: 100,000 lux with the sun 60° up, about 400 lux as it sets, 3 lux at the
  end of civil twilight (-6°), 0.01 lux at -12° and 0.001 lux (starlight) from -18° down.

A frame's mean value (0..1 of full scale, linear) is ``lux × exposure_s × gain / 50`` (PHOTOMETRIC):
20,000 lux at 1/1000 s and gain 1 gives 0.4.

"Seconds since the process started" is read from the kernel (/proc/self/stat), so a reload or a
camera reopen does not restart the scene.
"""

import datetime
import math
import os
import time

import numpy as np

PHOTOMETRIC = 50.0  # lux·s that fill the sensor to full scale at gain 1

# (sun elevation in degrees, log10 lux): civil/nautical/astronomical twilight at -6/-12/-18 degrees.
DAYLIGHT = ((-18.0, -3.0), (-12.0, -2.0), (-6.0, 0.5), (-0.833, 2.6), (5.0, 3.6), (15.0, 4.3),
            (30.0, 4.75), (60.0, 5.0), (90.0, 5.05))


def process_age():
    """Return seconds since this process started (kernel start time against CLOCK_BOOTTIME)."""
    try:
        with open("/proc/self/stat") as stream:
            fields = stream.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime, in clock ticks since boot
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - started)
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


_IMPORTED = time.monotonic()
_STARTED_WALL = time.time() - process_age()


def light_at(points, seconds):
    """Return lux at ``seconds`` from [(seconds, lux), ...]: log-scale interpolation, held at both ends."""
    times = [p[0] for p in points]
    logs = [math.log(p[1]) for p in points]
    return float(math.exp(np.interp(seconds, times, logs)))


def daylight(elevation):
    """Return illuminance in lux for the sun at ``elevation`` degrees (the DAYLIGHT model)."""
    return 10 ** float(np.interp(elevation, [p[0] for p in DAYLIGHT], [p[1] for p in DAYLIGHT]))


def scene_lux(scene, age=None):
    """Return lux in ``scene`` (a LightScene or SunScene) ``age`` seconds after the process started (now if None)."""
    age = process_age() if age is None else age
    if hasattr(scene, "points"):
        return light_at(scene.points, age)
    from timelapse.sun import elevation

    when = datetime.datetime.fromtimestamp(_STARTED_WALL + age * scene.speed, datetime.timezone.utc)
    return daylight(elevation(when, scene.latitude, scene.longitude))


def frame_mean(lux, exposure_us, gain):
    """Return the linear mean (0..1, before clipping) of a frame: lux × seconds × gain / PHOTOMETRIC."""
    return lux * exposure_us / 1e6 * gain / PHOTOMETRIC
