"""Collects the cloud-init cells and the agent mismatch scenarios (steps come from the provsim plugin)."""

from pytest_bdd import scenarios

scenarios("agents")
