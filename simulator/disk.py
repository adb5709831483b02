"""The guest disk: what the agents read and write, behind one small interface.

Two disks implement :class:`GuestDisk`: :class:`MemoryDisk` here, the fast
default that needs nothing installed, and a container's filesystem (see
``provsim.containers``). The guest agents, the deprovision actions and the
evidence readers are written once against this interface, so a pipeline
checked in a container goes through the very code the in-memory default uses.

    >>> disk = MemoryDisk(hostname="build-vm")
    >>> disk.add_user(Account("packer"))
    >>> disk.write_text("/var/lib/waagent/provisioned", "f00d")
    >>> disk.exists("/var/lib/waagent"), disk.user("packer") is not None
    (True, True)
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Account:
    """A login account on the guest: its name, home folder and admin rights."""

    name: str
    home: str = ""
    admin: bool = True

    def __post_init__(self) -> None:
        if not self.home:
            object.__setattr__(self, "home", f"/home/{self.name}")


@runtime_checkable
class GuestDisk(Protocol):
    """What a guest agent can see and change on an OS disk.

    Paths are POSIX-style; a Windows disk uses its own spelling (``C:/...``).
    Reading or removing something absent is not an error: agents and
    deprovision tools are written to be idempotent, so the interface is too.
    """

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when it does not exist."""

    def write_text(self, path: str, text: str) -> None:
        """Create or replace a file, creating its folders."""

    def exists(self, path: str) -> bool:
        """True for an existing file or folder."""

    def remove(self, path: str) -> None:
        """Remove a file or a folder with everything in it, if present."""

    def glob(self, pattern: str) -> list[str]:
        """Existing files matching a shell pattern, sorted."""

    def hostname(self) -> str:
        """The host (computer) name the OS will come up with."""

    def set_hostname(self, name: str) -> None:
        """Change the host name persistently."""

    def user(self, name: str) -> Account | None:
        """The account with this name, or None."""

    def users(self) -> list[Account]:
        """Login accounts (not system accounts), sorted by name."""

    def add_user(self, account: Account) -> None:
        """Create a login account with its home folder."""

    def remove_user(self, name: str, *, remove_home: bool) -> None:
        """Delete an account, and its home folder when asked."""


class MemoryDisk:
    """An OS disk held in memory: files, host name and accounts.

    Windows registry values live under ``/registry/HKLM/...`` as one file each,
    so the same interface serves both OS types. Copying a disk (capture,
    upload) is :meth:`clone`, which shares nothing with the original.
    """

    def __init__(self, hostname: str = "localhost") -> None:
        self._files: dict[str, str] = {}
        self._folders: set[str] = {"/"}
        self._hostname = hostname
        self._accounts: dict[str, Account] = {}

    def clone(self) -> MemoryDisk:
        # Paths, texts and accounts are immutable, so copying the containers shares nothing that can change;
        # copy.deepcopy walked every string of the disk and was 15% of a 1000-template check.
        twin = MemoryDisk.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin._files = dict(self._files)
        twin._folders = set(self._folders)
        twin._accounts = dict(self._accounts)
        return twin

    def read_text(self, path: str) -> str | None:
        return self._files.get(_norm(path))

    def write_text(self, path: str, text: str) -> None:
        path = _norm(path)
        self._files[path] = text
        self._add_folders(_parent(path))

    def make_folder(self, path: str) -> None:
        self._add_folders(_norm(path))

    def _add_folders(self, folder: str) -> None:
        """``folder`` and the folders above it."""
        while folder not in self._folders:
            self._folders.add(folder)
            folder = _parent(folder)

    def exists(self, path: str) -> bool:
        path = _norm(path)
        return path in self._files or path in self._folders

    def remove(self, path: str) -> None:
        path = _norm(path)
        prefix = path.rstrip("/") + "/"
        for name in [p for p in self._files if p == path or p.startswith(prefix)]:
            del self._files[name]
        self._folders = {f for f in self._folders if f != path and not f.startswith(prefix)}
        self._folders.add("/")

    def glob(self, pattern: str) -> list[str]:
        return sorted(p for p in self._files if fnmatch.fnmatchcase(p, _norm(pattern)))

    def hostname(self) -> str:
        return self._hostname

    def set_hostname(self, name: str) -> None:
        self._hostname = name

    def user(self, name: str) -> Account | None:
        return self._accounts.get(name)

    def users(self) -> list[Account]:
        return [self._accounts[name] for name in sorted(self._accounts)]

    def add_user(self, account: Account) -> None:
        self._accounts[account.name] = account
        self.make_folder(account.home)

    def remove_user(self, name: str, *, remove_home: bool) -> None:
        account = self._accounts.pop(name, None)
        if account is not None and remove_home:
            self.remove(account.home)


def _parent(path: str) -> str:
    """The folder holding ``path``, a normalised absolute path (posixpath.dirname, without its general cases)."""
    return path[: path.rindex("/")] or "/"


# Pure, and agents ask for the same few paths on every disk of every VM: normalised once each.
@lru_cache(maxsize=4096)
def _norm(path: str) -> str:
    # Windows paths are kept case-insensitive the way NTFS treats them.
    path = path.replace("\\", "/")
    if len(path) > 1 and path[1] == ":":
        path = path.lower()
    return posixpath.normpath(path) if path.startswith("/") else posixpath.normpath("/" + path)
