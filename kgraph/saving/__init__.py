"""Saving and loading models and weights."""
