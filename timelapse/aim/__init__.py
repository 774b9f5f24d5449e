"""Aim: has the camera moved? (SPEC §20)

``shift`` measures how far an image lies from another (phase correlation of edge images);
``reference`` keeps the aim reference and the last shift under ``output_dir/.aim/``; ``check`` is
one check against the reference (`timelapse aim`, the web's compare view); ``watch`` is the alerts
process's hourly check in daylight, behind the ``camera_moved`` rule.
"""
