"""deploy/kiosk/install.sh, run for real into a throwaway root (DESTDIR) and its result inspected.

The script installs into a temporary directory with `--source` this checkout: the files, owners and modes
it leaves, the virtualenv it makes (for real, with the app's dependencies), the kiosk user it writes into
the root's own passwd and group, and the host commands it lists instead of running. Then: a second run
changes nothing and keeps an edited kiosk.toml; `--uninstall` keeps settings and data; `--purge` does not.
An update removes files an older version installed and this one does not ship. The udev rules are parsed
here, since Debian 12's systemd 252 has no `udevadm verify`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.registry import DeviceUrl
from kiosk.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "kiosk" / "install.sh"
RULES = REPO / "deploy" / "kiosk" / "udev" / "60-hpf-kiosk.rules"
EXAMPLE = REPO / "deploy" / "kiosk" / "kiosk.toml.example"
UNITS = REPO / "deploy" / "kiosk" / "systemd"
VENV = "opt/hpf-kiosk/venv"
KIOSK_GROUPS = {"dialout", "lp", "video", "render", "input", "audio"}
IS_ROOT = os.geteuid() == 0

# The script makes the venv with Debian's Python and pip; a minute is plenty with a warm wheel cache.
INSTALL_TIMEOUT_S = 600


def run_script(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESTDIR": str(root)}
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
    )
    if check and result.returncode != 0:
        raise AssertionError(f"install.sh {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def install(root: Path) -> subprocess.CompletedProcess[str]:
    return run_script(root, "--source", str(REPO))


def clone(root: Path, into: Path) -> Path:
    # cp -a keeps owners and modes, and the venv works from anywhere: its scripts name /opt/hpf-kiosk.
    into.mkdir()
    subprocess.run(["cp", "-a", f"{root}/.", str(into)], check=True)
    return into


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def passwd(root: Path) -> dict[str, list[str]]:
    lines = (root / "etc" / "passwd").read_text().splitlines()
    return {line.split(":")[0]: line.split(":") for line in lines}


def groups(root: Path) -> dict[str, list[str]]:
    lines = (root / "etc" / "group").read_text().splitlines()
    return {line.split(":")[0]: line.split(":") for line in lines}


def actions(root: Path) -> list[str]:
    return (root / "hpf-kiosk-install.actions").read_text().splitlines()


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path with its type, mode and owner; outside the venv also its content.

    In the venv pip rewrites the app's own files at every run (byte code with new timestamps, the record of
    the build directory it came from), so there the same paths with the same modes is what "the same" means.
    """
    tree: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        info = path.lstat()
        kind, permissions = stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode)
        entry: tuple[object, ...] = (kind, permissions, info.st_uid, info.st_gid)
        in_venv = relative.startswith(VENV + "/")
        if path.is_symlink():
            entry += (os.readlink(path),)
        elif path.is_file() and not in_venv:
            entry += (hashlib.sha256(path.read_bytes()).hexdigest(),)
        if in_venv and "/__pycache__" in relative:
            continue
        tree[relative] = entry
    return tree


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("kiosk-root")
    install(root)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_the_app_settings_and_data_land_with_their_owners_and_modes(installed: Path) -> None:
    app = installed / "opt" / "hpf-kiosk"
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert (app / "VERSION").read_text().startswith(version)
    assert (app / "src" / "kiosk" / "app.py").read_bytes() == (REPO / "kiosk" / "app.py").read_bytes()
    assert not list((app / "src").rglob("__pycache__")), "the copy carries no byte code of the checkout"
    assert not list((app / "src").glob("*.egg-info")) and not (app / "src" / "build").exists()
    assert (app / "docs" / "deployment.md").is_file(), "the unit's Documentation= points here"

    etc = installed / "etc" / "hpf-kiosk"
    data = installed / "var" / "lib" / "hpf-kiosk"
    expected = {
        etc: (0o750, "root", "kiosk"),
        etc / "kiosk.toml": (0o640, "root", "kiosk"),
        etc / "keys": (0o700, "kiosk", "kiosk"),
        etc / "tls": (0o750, "root", "kiosk"),
        data: (0o750, "kiosk", "kiosk"),
        app: (0o755, "root", "root"),
    }
    users, group_table = passwd(installed), groups(installed)
    for path, (want_mode, owner, group) in expected.items():
        assert mode(path) == want_mode, f"{path}: {oct(mode(path))}"
        if IS_ROOT:
            uid = 0 if owner == "root" else int(users[owner][2])
            gid = 0 if group == "root" else int(group_table[group][2])
            assert (path.stat().st_uid, path.stat().st_gid) == (uid, gid), path
        elif (owner, group) != ("root", "root"):
            assert f"chown {owner}:{group} {path}" in actions(installed)
    assert (etc / "kiosk.toml").read_bytes() == EXAMPLE.read_bytes()


def test_the_kiosk_user_has_no_login_and_only_the_groups_it_needs(installed: Path) -> None:
    name, _, uid, gid, _, home, shell = passwd(installed)["kiosk"]
    assert (home, shell) == ("/var/lib/hpf-kiosk", "/usr/sbin/nologin")
    assert 100 <= int(uid) < 1000, "a system user"
    group_table = groups(installed)
    assert group_table["kiosk"][2] == gid
    member_of = {group for group, fields in group_table.items() if name in fields[3].split(",")}
    assert member_of == KIOSK_GROUPS
    # Debian's fixed ids for the groups base-passwd makes.
    assert {group: group_table[group][2] for group in ("lp", "dialout", "video", "audio")} == {
        "lp": "7",
        "dialout": "20",
        "video": "44",
        "audio": "29",
    }
    shadow = (installed / "etc" / "shadow").read_text()
    assert re.search(r"^kiosk:!:", shadow, re.M), "no password: the account cannot log in"


def test_pcsc_access_goes_to_the_kiosk_user_through_polkit(installed: Path) -> None:
    rule = (installed / "etc" / "polkit-1" / "rules.d" / "60-hpf-kiosk-pcsc.rules").read_text()
    assert '"org.debian.pcsc-lite.access_pcsc"' in rule and '"org.debian.pcsc-lite.access_card"' in rule
    assert 'subject.user == "kiosk"' in rule and "polkit.Result.YES" in rule
    if shutil.which("node"):
        # Where a JavaScript engine is at hand, the rule is run the way polkit runs it.
        program = (
            "let rules=[];const polkit={Result:{YES:'yes'},addRule:f=>rules.push(f)};"
            + rule
            + ";const ask=(id,user)=>rules[0]({id},{user});"
            + "console.log([ask('org.debian.pcsc-lite.access_card','kiosk'),"
            + "ask('org.debian.pcsc-lite.access_pcsc','kiosk'),ask('org.debian.pcsc-lite.access_card','www')"
            + ",ask('org.freedesktop.login1.reboot','kiosk')].map(String).join(' '))"
        )
        out = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=True).stdout
        assert out.split() == ["yes", "yes", "undefined", "undefined"]


def test_units_rules_and_boot_option_are_installed_and_listed(installed: Path) -> None:
    listed = (installed / "opt" / "hpf-kiosk" / "installed-files").read_text().split()
    shipped = [path for path in UNITS.rglob("*") if path.is_file()]
    assert shipped, "deploy/kiosk/systemd holds the units"
    for unit in shipped:
        relative = unit.relative_to(UNITS)
        target = (
            Path("/etc/systemd") / relative
            if relative.parts[0].endswith(".conf.d")
            else Path("/etc/systemd/system") / relative
        )
        assert (installed / target.relative_to("/")).read_bytes() == unit.read_bytes(), target
        assert mode(installed / target.relative_to("/")) == 0o644
        assert str(target) in listed
    rules = installed / "etc" / "udev" / "rules.d" / "60-hpf-kiosk.rules"
    assert rules.read_bytes() == RULES.read_bytes() and mode(rules) == 0o644
    grub = (installed / "etc" / "default" / "grub.d" / "60-hpf-kiosk.cfg").read_text()
    assert 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT consoleblank=0"' in grub
    for path in listed:
        assert (installed / path.lstrip("/")).is_file(), path


def test_host_commands_are_listed_not_run(installed: Path) -> None:
    commands = [shlex.split(line) for line in actions(installed)]
    apt = next(command for command in commands if "install" in command and "apt-get" in command)
    packages = set(apt[apt.index("--no-install-recommends") + 1 :])
    assert {"cage", "xwayland", "fonts-noto-cjk", "pcscd", "libccid", "polkitd", "python3-venv"} <= packages
    assert {"libgl1-mesa-dri", "libegl1", "libgles2", "libx11-6"} <= packages
    assert not {p for p in packages if p.startswith(("xserver-xorg", "lightdm", "gdm3", "task-"))}
    assert ["systemctl", "enable", "hpf-kiosk.service", "pcscd.socket"] in commands
    assert ["systemctl", "disable", "getty@tty1.service"] in commands
    assert ["systemctl", "set-default", "graphical.target"] in commands
    assert ["udevadm", "control", "--reload"] in commands
    assert any(command[:2] == ["udevadm", "trigger"] for command in commands)
    # The unit the script enables is the unit it installed, and it belongs to the default target.
    unit = (installed / "etc" / "systemd" / "system" / "hpf-kiosk.service").read_text()
    assert re.search(r"^WantedBy=graphical\.target$", unit, re.M)


def test_the_venv_runs_the_app_from_opt_without_dev_extras(installed: Path) -> None:
    venv = installed / VENV
    unit = (installed / "etc" / "systemd" / "system" / "hpf-kiosk.service").read_text()
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M)
    assert exec_start and "/opt/hpf-kiosk/venv/bin/kiosk" in exec_start.group(1)
    kiosk = venv / "bin" / "kiosk"
    # Relocated: the script names where it will be once the throwaway root is the machine's root.
    assert re.fullmatch(r"#!/opt/hpf-kiosk/venv/bin/python3?", kiosk.read_text().splitlines()[0])
    assert str(installed) not in (venv / "pyvenv.cfg").read_text()
    python = venv / "bin" / "python3"
    assert os.readlink(python).startswith("/usr/bin/python3") or os.readlink(python) == "python"
    # The installed package, with its dependencies, reads the installed settings.
    check = (
        "import sys, importlib.util as u\n"
        "from kiosk.settings import load_settings\n"
        "from kiosk.devices.registry import DeviceUrl\n"
        "s = load_settings(sys.argv[1])\n"
        "print(DeviceUrl(s.devices.idcard).path, DeviceUrl(s.devices.printer).path)\n"
        "print(u.find_spec('kivy') is not None, u.find_spec('pytest') is None)\n"
        "print(u.find_spec('fastapi') is None)\n"
    )
    result = subprocess.run(
        [str(python), "-c", check, str(installed / "etc" / "hpf-kiosk" / "kiosk.toml")],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["/dev/hpf-idcard", "/dev/hpf-printer", "True", "True", "True"]
    version = subprocess.run(
        [str(python), "-m", "kiosk", "version"], capture_output=True, text=True, cwd="/", timeout=120
    )
    assert version.returncode == 0 and version.stdout.strip(), version.stderr


def test_a_second_run_changes_nothing_and_keeps_edited_settings(installed: Path, tmp_path: Path) -> None:
    root = clone(installed, tmp_path / "root")
    settings = root / "etc" / "hpf-kiosk" / "kiosk.toml"
    edited = settings.read_text().replace('id = "KIOSK-HALL1-03"', 'id = "KIOSK-HALL2-07"')
    settings.write_text(edited)
    settings.chmod(0o644)  # drifted: the script puts the mode right, never the content
    before = snapshot(root)
    result = install(root)
    assert "kept /etc/hpf-kiosk/kiosk.toml" in result.stdout
    assert settings.read_text() == edited and mode(settings) == 0o640
    before["etc/hpf-kiosk/kiosk.toml"] = snapshot(root)["etc/hpf-kiosk/kiosk.toml"]
    assert snapshot(root) == before
    assert sum(line.startswith("kiosk:") for line in (root / "etc" / "passwd").read_text().splitlines()) == 1


def test_uninstall_keeps_settings_data_and_user(installed: Path, tmp_path: Path) -> None:
    root = clone(installed, tmp_path / "root")
    listed = (root / "opt" / "hpf-kiosk" / "installed-files").read_text().split()
    (root / "var" / "lib" / "hpf-kiosk" / "outbox.sqlite").write_bytes(b"kept")
    result = run_script(root, "--uninstall")
    assert "kept /etc/hpf-kiosk" in result.stdout
    assert not (root / "opt" / "hpf-kiosk").exists()
    for path in listed:
        assert not (root / path.lstrip("/")).exists(), path
    assert (root / "etc" / "hpf-kiosk" / "kiosk.toml").is_file()
    assert (root / "var" / "lib" / "hpf-kiosk" / "outbox.sqlite").read_bytes() == b"kept"
    assert "kiosk" in passwd(root)
    assert ["systemctl", "enable", "getty@tty1.service"] in [shlex.split(line) for line in actions(root)]
    # Uninstalling what is gone already is no error.
    run_script(root, "--uninstall")


def test_purge_removes_settings_data_and_user(installed: Path, tmp_path: Path) -> None:
    root = clone(installed, tmp_path / "root")
    result = run_script(root, "--uninstall", "--purge")
    assert "removed the app, its settings" in result.stdout
    for gone in ("opt/hpf-kiosk", "etc/hpf-kiosk", "var/lib/hpf-kiosk"):
        assert not (root / gone).exists(), gone
    assert "kiosk" not in passwd(root) and "kiosk" not in groups(root)
    assert all("kiosk" not in fields[3].split(",") for fields in groups(root).values())
    assert "kiosk:" not in (root / "etc" / "shadow").read_text()
    # What is left of the throwaway root: the user tables, the empty directories and the list of actions.
    left = {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}
    assert left == {"etc/passwd", "etc/group", "etc/shadow", "hpf-kiosk-install.actions"}


def test_errors_are_one_line_naming_what_failed(tmp_path: Path) -> None:
    missing = run_script(tmp_path, "--source", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode != 0
    assert missing.stderr == f"install.sh: source missing: {tmp_path / 'nowhere'} is not a directory\n"
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    (incomplete / "pyproject.toml").write_text("[project]\nversion = '0'\n")
    result = run_script(tmp_path, "--source", str(incomplete), check=False)
    assert result.returncode != 0
    assert result.stderr == f"install.sh: source missing: {incomplete}/README.md\n"
    unknown = run_script(tmp_path, "--frobnicate", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr == "install.sh: unknown option --frobnicate (see --help)\n"
    # Without DESTDIR the script changes this machine, which only root may do.
    script = SCRIPT
    command = ["bash", str(script)]
    if IS_ROOT:
        assert shutil.which("setpriv"), "setpriv is missing: run deploy/install-system-packages.sh"
        # Another user may not read a checkout in root's private directories: they run a readable copy.
        shared = Path(tempfile.mkdtemp(prefix="hpf-install-", dir="/tmp"))
        shared.chmod(0o755)
        script = shared / "install.sh"
        shutil.copyfile(SCRIPT, script)
        script.chmod(0o644)
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", str(script)]
    env = {key: value for key, value in os.environ.items() if key != "DESTDIR"}
    try:
        not_root = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    finally:
        if script != SCRIPT:
            shutil.rmtree(script.parent)
    assert not_root.returncode == 1
    assert not_root.stderr == f"install.sh: must run as root (try: sudo {script})\n"


def test_the_script_is_valid_bash_and_shellcheck_clean() -> None:
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert shutil.which("shellcheck"), "shellcheck is missing: run deploy/install-system-packages.sh"
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# --- the udev rules, parsed -------------------------------------------------------------------------------

# udev's rule keys (udev(7), systemd 252): those that only match, those that only assign, and both.
MATCH_KEYS = {
    "ACTION",
    "DEVPATH",
    "KERNEL",
    "KERNELS",
    "NAME",
    "SYMLINK",
    "SUBSYSTEM",
    "SUBSYSTEMS",
    "DRIVER",
    "DRIVERS",
    "ATTR",
    "ATTRS",
    "SYSCTL",
    "ENV",
    "CONST",
    "TAG",
    "TAGS",
    "TEST",
    "PROGRAM",
    "RESULT",
}
ASSIGN_KEYS = {
    "NAME",
    "SYMLINK",
    "OWNER",
    "GROUP",
    "MODE",
    "SECLABEL",
    "ATTR",
    "SYSCTL",
    "ENV",
    "TAG",
    "RUN",
    "LABEL",
    "GOTO",
    "IMPORT",
    "OPTIONS",
}
TOKEN = re.compile(r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


Rule = list[tuple[str, str | None, str, str]]


def parse_rule(line: str) -> Rule:
    tokens: Rule = []
    position = 0
    while position < len(line):
        match = TOKEN.match(line, position)
        assert match, f"not a udev rule from column {position}: {line!r}"
        key, attribute, operator, value = match.groups()
        if operator in ("==", "!="):
            assert key in MATCH_KEYS, f"{key} cannot be matched: {line!r}"
        else:
            assert key in ASSIGN_KEYS, f"{key} cannot be assigned: {line!r}"
            assert not (key in {"LABEL", "GOTO"} and operator != "="), line
        if key in {"ATTR", "ATTRS", "ENV", "SYSCTL", "TEST"}:
            assert attribute, f"{key} needs {{attribute}}: {line!r}"
        tokens.append((key, attribute, operator, value))
        position = match.end()
    return tokens


def rules_in(text: str) -> tuple[list[Rule], list[Rule]]:
    """The active rules, and the example rules written as comments (ready to be uncommented)."""
    active: list[Rule] = []
    examples: list[Rule] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            active.append(parse_rule(stripped))
        elif re.match(r"#\s*(SUBSYSTEM|KERNEL|ACTION)[!=]=", stripped):
            examples.append(parse_rule(stripped.lstrip("#").strip()))
    return active, examples


def test_udev_rules_parse_and_name_both_devices() -> None:
    active, examples = rules_in(RULES.read_text())
    labels = {value for rule in active for key, _, _, value in rule if key == "LABEL"}
    for rule in active + examples:
        for key, _, _, value in rule:
            if key == "GOTO":
                assert value in labels, f"GOTO {value} has no LABEL"
    named: dict[str, list[dict[str, str]]] = {}
    for rule in active + examples:
        fields = {f"{key}{{{attr}}}" if attr else key: value for key, attr, _, value in rule}
        if "SYMLINK" in fields:
            named.setdefault(fields["SYMLINK"], []).append(fields)
    assert set(named) == {"hpf-idcard", "hpf-printer"}
    for rules in named.values():
        for fields in rules:
            assert fields["MODE"] == "0660", fields
            assert fields["GROUP"] in ({"dialout"} if fields["SUBSYSTEM"] == "tty" else {"lp"}), fields
            assert re.fullmatch(r"[0-9a-f]{4}", fields["ATTRS{idVendor}"]), fields
            assert re.fullmatch(r"[0-9a-f]{4}", fields["ATTRS{idProduct}"]), fields
    models = {(f["ATTRS{idVendor}"], f["ATTRS{idProduct}"]) for f in named["hpf-idcard"]}
    assert {("1a86", "7523"), ("10c4", "ea60"), ("0403", "6001")} <= models
    printers = {(f["ATTRS{idVendor}"], f["ATTRS{idProduct}"]) for f in named["hpf-printer"]}
    assert {("0416", "5011"), ("0483", "5743")} <= printers
    # The way to add a model is written down where the rules point.
    docs = (REPO / "docs" / "deployment.md").read_text()
    assert "udevadm info -a -n /dev/ttyUSB0" in docs
    for vendor, product in models | printers:
        assert f"{vendor}:{product}" in docs


def test_the_settings_template_names_the_udev_devices() -> None:
    settings = load_settings(EXAMPLE)
    active, _ = rules_in(RULES.read_text())
    names = {f"/dev/{value}" for rule in active for key, _, _, value in rule if key == "SYMLINK"}
    assert settings.devices.printer is not None, "the template sets a printer"
    assert DeviceUrl(settings.devices.printer).path in names
    assert DeviceUrl(settings.devices.idcard).path in names
    assert settings.kiosk.data_dir == Path("/var/lib/hpf-kiosk")
    assert settings.outbox.key_file == Path("/etc/hpf-kiosk/keys/outbox.key")
    assert settings.central.terminal_secret_file == Path("/etc/hpf-kiosk/terminal.secret")


def test_an_update_removes_what_the_new_version_no_longer_ships(installed: Path, tmp_path: Path) -> None:
    root = clone(installed, tmp_path / "root")
    listed = root / "opt" / "hpf-kiosk" / "installed-files"
    retired = root / "etc" / "systemd" / "system" / "hpf-kiosk-retired.service"
    retired.write_text("[Unit]\nDescription=a unit an older version shipped\n")
    listed.write_text(listed.read_text() + "/etc/systemd/system/hpf-kiosk-retired.service\n")
    install(root)
    assert not retired.exists()
    assert "/etc/systemd/system/hpf-kiosk-retired.service" not in listed.read_text()
