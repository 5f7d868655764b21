"""Approval environments by name."""
