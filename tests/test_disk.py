from provsim import Account, MemoryDisk
from provsim.disk import GuestDisk


def test_memory_disk_implements_the_guest_disk_interface() -> None:
    assert isinstance(MemoryDisk(), GuestDisk)


def test_files_and_folders() -> None:
    disk = MemoryDisk()
    disk.write_text("/var/lib/waagent/provisioned", "id-1")
    assert disk.read_text("/var/lib/waagent/provisioned") == "id-1"
    assert disk.exists("/var/lib/waagent") and disk.exists("/var/lib")
    disk.remove("/var/lib/waagent")
    assert not disk.exists("/var/lib/waagent/provisioned") and not disk.exists("/var/lib/waagent")
    assert disk.exists("/var/lib")
    assert disk.read_text("/nothing") is None
    disk.remove("/nothing")  # absent: not an error


def test_glob_and_windows_paths() -> None:
    disk = MemoryDisk()
    disk.write_text("/etc/ssh/ssh_host_rsa_key", "k")
    disk.write_text("/etc/ssh/ssh_host_rsa_key.pub", "k")
    disk.write_text("/etc/ssh/sshd_config", "")
    assert disk.glob("/etc/ssh/ssh_host_*_key*") == ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_rsa_key.pub"]
    disk.write_text("C:\\DeprovisioningScript.ps1", "sysprep")
    assert disk.read_text("c:/deprovisioningscript.ps1") == "sysprep"


def test_accounts_and_clone_share_nothing() -> None:
    disk = MemoryDisk(hostname="a")
    disk.add_user(Account("packer"))
    assert disk.exists("/home/packer")
    copy = disk.clone()
    copy.remove_user("packer", remove_home=True)
    copy.set_hostname("b")
    assert disk.user("packer") is not None and disk.hostname() == "a"
    assert copy.user("packer") is None and not copy.exists("/home/packer")
