"""The container scenarios: the cell sentences told with containers, and the fixture pipelines."""

from pytest_bdd import scenarios

from steps.containers import use_containers

use_containers()
scenarios("containers")
