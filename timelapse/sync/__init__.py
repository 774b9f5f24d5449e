"""Offsite copies through rclone (SPEC section 14): state, the rclone command, the run."""
