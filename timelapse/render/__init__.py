"""Rendering (SPEC section 12): frame selection, ffmpeg, keograms, video retention, the commands."""
