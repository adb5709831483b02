"""Collects the 16-cell table and the mechanism scenarios (steps come from the provsim plugin)."""

from pytest_bdd import scenarios

scenarios("cells")
