"""The web interface (SPEC section 11): `timelapse web` on Tornado."""
