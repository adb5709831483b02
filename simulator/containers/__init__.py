"""The Docker backend: the same guest agents and platform, on a container's disk.

``provsim check --backend docker`` builds a Linux pipeline for real: the
pipeline's steps run in a build container made from a Debian base image with
the Debian ``waagent`` package (:mod:`~provsim.containers.base_image`), the
real ``waagent -force -deprovision+user`` runs there, the OS state is read off
the disk with testinfra (:mod:`~provsim.containers.evidence`), the result is
captured or uploaded (``docker commit``: the disk's files only), and a VM
container boots from it with the platform's provisioning media while
:class:`provsim.guest.linux.LinuxAgent` decides on the container's disk
(:mod:`~provsim.containers.boot`).

Every container and image is labelled and removed when its
:class:`~provsim.containers.cleanup.Run` ends, however it ends.
"""

from __future__ import annotations
