"""Asking the resident what may cross the boundary, and acting on the answer."""
