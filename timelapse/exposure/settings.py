"""The typed values of ``camera.exposure`` and ``camera.scene`` (SPEC §16), as the validators return them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExposureSettings:
    """``camera.exposure``: mode "camera" (the camera's own AE) or "smooth" (the appliance's ramp).

    target: mean brightness aimed at, 0..1 of full scale; max_exposure: seconds; max_gain: analogue
    gain (1 = none); max_step: EV between two saved images; white_balance: "auto" or
    ((day_red, day_blue), (night_red, night_blue)) colour gains.
    """
    mode: str = "camera"
    target: float = 0.4
    max_exposure: float = 20.0
    max_gain: float = 8.0
    max_step: float = 0.33
    white_balance: object = "auto"


@dataclass(frozen=True)
class LightScene:
    """``camera.scene: {light: [[SECONDS, LUX], ...]}``: light levels at seconds since the process started."""
    points: tuple  # ((seconds, lux), ...), seconds increasing, lux > 0


@dataclass(frozen=True)
class SunScene:
    """``camera.scene: {latitude, longitude, speed}``: daylight at a place, time running ``speed`` times faster."""
    latitude: float
    longitude: float
    speed: float = 600.0
