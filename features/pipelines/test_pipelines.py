"""Collects the pipeline scenarios (steps come from the provsim plugin)."""

from pytest_bdd import scenarios

scenarios("pipelines")
