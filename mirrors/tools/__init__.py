"""Maintenance scripts for the mirrors (not imported by the server)."""
