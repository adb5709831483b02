"""The container scenarios: the cell sentences told with containers, and the fixture pipelines."""

from provsim.steps.containers import use_containers
from pytest_bdd import scenarios

use_containers()
scenarios("containers")
