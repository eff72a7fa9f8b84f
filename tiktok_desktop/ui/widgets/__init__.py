"""Reusable widgets of the composer and the schedule views."""
