#!/usr/bin/env bash
# Turns a Debian 12 machine into an HPF kiosk, or takes it back out (docs/deployment.md).
#
#   install.sh [--source DIR]          install or update; safe to run again (never overwrites settings)
#   install.sh --uninstall [--purge]   remove the app, units, udev and polkit rules; --purge also removes
#                                      the settings, the data and the kiosk user
#
# DESTDIR=/some/root install.sh ...    install into a throwaway root instead of this machine: every path is
#   prefixed, the kiosk user is written to DESTDIR/etc/{passwd,group,shadow}, and apt, useradd, systemctl
#   and udevadm are not run but listed, one command a line, in DESTDIR/hpf-kiosk-install.actions.
set -euo pipefail

readonly APP_DIR=/opt/hpf-kiosk
readonly ETC_DIR=/etc/hpf-kiosk
readonly DATA_DIR=/var/lib/hpf-kiosk
readonly KIOSK_USER=kiosk
readonly KIOSK_UNIT=hpf-kiosk.service
readonly POLKIT_RULE=/etc/polkit-1/rules.d/60-hpf-kiosk-pcsc.rules
readonly GRUB_DROPIN=/etc/default/grub.d/60-hpf-kiosk.cfg
# Everything installed outside APP_DIR is listed here, so --uninstall removes exactly that even when the
# source it came from (and its list of unit files) has changed or is gone.
readonly MANIFEST=$APP_DIR/installed-files

# What a kiosk needs from Debian 12, and nothing of a desktop:
PACKAGES=(
  cage xwayland            # the kiosk compositor; Kivy's wheel bundles an SDL2 without Wayland, so it draws
                           # through cage's Xwayland (the only X server; no Xorg, no display manager)
  libgl1 libgl1-mesa-dri libegl1 libgles2 libgbm1 libdrm2    # GL for Kivy and for cage (wlroots)
  libx11-6 libx11-xcb1 libxext6 libxcursor1 libxfixes3 libxi6 libxrandr2 libxss1  # what that SDL2 dlopens
  libmtdev1                # multitouch panels (display.touch_device = "mtdev,…")
  fonts-noto-cjk           # Simplified Chinese on screen and on receipts
  pcscd libccid polkitd    # the bank card reader: PC/SC, CCID readers, and polkit, which pcscd asks
  python3 python3-venv     # the app's own virtualenv
  espeak-ng alsa-utils     # voice guidance: offline speech (Mandarin and English), aplay/amixer (kiosk/voice)
)
# The groups the kiosk user is in, and no others: the ID reader's (and a serial printer's) USB-serial port,
# a USB printer-class printer, the seat's display, GPU render node and input devices for cage, and the
# sound card for voice guidance (aplay, and amixer's headset jack).
readonly KIOSK_GROUPS=(dialout lp video render input audio)

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

MODE=install
PURGE=0
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) MODE=uninstall ;;
    --purge) PURGE=1 ;;
    --source) [ $# -ge 2 ] || die "--source needs a directory"; SOURCE="$2"; shift ;;
    --source=*) SOURCE="${1#--source=}" ;;
    -h|--help) usage 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[ "$PURGE" = 0 ] || [ "$MODE" = uninstall ] || die "--purge goes with --uninstall"

DESTDIR="${DESTDIR:-}"
DESTDIR="${DESTDIR%/}"
ACTIONS=""
if [ -n "$DESTDIR" ]; then
  [ -d "$DESTDIR" ] || die "DESTDIR $DESTDIR is not a directory"
  DESTDIR="$(cd "$DESTDIR" && pwd)"
  [ "$DESTDIR" != / ] || DESTDIR=""
fi
if [ -n "$DESTDIR" ]; then
  ACTIONS="$DESTDIR/hpf-kiosk-install.actions"
  : >"$ACTIONS"
else
  [ "$(id -u)" -eq 0 ] || die "must run as root (try: sudo $0)"
  # shellcheck source=/dev/null
  . /etc/os-release 2>/dev/null || die "not Debian 12: /etc/os-release is missing"
  if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
    die "not Debian 12: this is ${PRETTY_NAME:-an unknown system}"
  fi
fi

# A command that changes the machine itself: run it, or in DESTDIR mode list it.
host() {
  if [ -n "$DESTDIR" ]; then
    echo "$*" >>"$ACTIONS"
  else
    "$@"
  fi
}

# --- the kiosk user -------------------------------------------------------------------------------------

# The first free id in Debian's range for system users and groups (100-999), counted down as adduser does.
free_id() {
  local file="$1" id
  for ((id = 999; id >= 100; id--)); do
    if ! cut -d: -f3 "$file" | grep -qx "$id"; then
      echo "$id"
      return
    fi
  done
  die "no free system id left in $file"
}

# Debian's fixed ids for the groups base-passwd makes; the others are allocated like any system group.
static_gid() {
  case "$1" in
    lp) echo 7 ;;
    dialout) echo 20 ;;
    video) echo 44 ;;
    audio) echo 29 ;;
    *) free_id "$DESTDIR/etc/group" ;;
  esac
}

destdir_user() {
  local etc="$DESTDIR/etc" group gid uid members
  mkdir -p "$etc"
  touch "$etc/passwd" "$etc/group" "$etc/shadow"
  chmod 0644 "$etc/passwd" "$etc/group"
  chmod 0640 "$etc/shadow"
  for group in "$KIOSK_USER" "${KIOSK_GROUPS[@]}"; do
    if ! grep -q "^$group:" "$etc/group"; then
      if [ "$group" = "$KIOSK_USER" ]; then gid=$(free_id "$etc/group"); else gid=$(static_gid "$group"); fi
      echo "$group:x:$gid:" >>"$etc/group"
    fi
  done
  if ! grep -q "^$KIOSK_USER:" "$etc/passwd"; then
    uid=$(free_id "$etc/passwd")
    gid=$(grep "^$KIOSK_USER:" "$etc/group" | cut -d: -f3)
    echo "$KIOSK_USER:x:$uid:$gid:HPF kiosk:$DATA_DIR:/usr/sbin/nologin" >>"$etc/passwd"
    echo "$KIOSK_USER:!:$(($(date +%s) / 86400))::::::" >>"$etc/shadow"
  fi
  # Exactly the supplementary groups above, as `usermod --groups` sets them on a real machine.
  for group in "${KIOSK_GROUPS[@]}"; do
    members=$(grep "^$group:" "$etc/group" | cut -d: -f4)
    if ! tr ',' '\n' <<<"$members" | grep -qx "$KIOSK_USER"; then
      sed -i "s/^\($group:[^:]*:[^:]*:\)\(.*\)$/\1\2${members:+,}$KIOSK_USER/" "$etc/group"
    fi
  done
}

host_user() {
  local group
  # render and input come with udev on Debian 12, but a trimmed image may lack them.
  for group in "${KIOSK_GROUPS[@]}"; do
    getent group "$group" >/dev/null || groupadd --system "$group"
  done
  if ! getent passwd "$KIOSK_USER" >/dev/null; then
    useradd --system --user-group --home-dir "$DATA_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "HPF kiosk" "$KIOSK_USER"
  fi
  # Sets the whole list, so a group added by hand (sudo, say) is taken away again.
  usermod --groups "$(IFS=,; echo "${KIOSK_GROUPS[*]}")" "$KIOSK_USER"
}

# "uid:gid" of a user and group, looked up in DESTDIR's files there, so a throwaway root gets its own ids.
ids() {
  local user="$1" group="$2" uid gid
  if [ -n "$DESTDIR" ]; then
    # root is 0 whether or not the throwaway root has a passwd line for it.
    uid=0 gid=0
    [ "$user" = root ] || uid=$(grep "^$user:" "$DESTDIR/etc/passwd" | cut -d: -f3)
    [ "$group" = root ] || gid=$(grep "^$group:" "$DESTDIR/etc/group" | cut -d: -f3)
  else
    uid=$(id -u "$user")
    gid=$(getent group "$group" | cut -d: -f3)
  fi
  echo "$uid:$gid"
}

# chown by number; in DESTDIR mode without root it is listed instead (the modes are still set).
own() {
  local owner="$1" path="$2"
  if [ "$(id -u)" -eq 0 ]; then
    chown "$(ids "${owner%%:*}" "${owner##*:}")" "$path"
  else
    echo "chown $owner $path" >>"$ACTIONS"
  fi
}

# A directory with its owner and mode, made or corrected.
dir() {
  local owner="$1" mode="$2" path="$DESTDIR$3"
  install -d -m "$mode" "$path"
  own "$owner" "$path"
}

# A file copied in with its owner and mode (always replaced: these are ours, not the operator's).
put() {
  local mode="$1" from="$2" to="$3"
  install -D -m "$mode" "$from" "$DESTDIR$to"
  own root:root "$DESTDIR$to"
  echo "$to" >>"$DESTDIR$MANIFEST.new"
}

# --- install ---------------------------------------------------------------------------------------------

source_version() {
  local version commit
  version=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$SOURCE/pyproject.toml" | head -n 1)
  if command -v git >/dev/null && git -C "$SOURCE" -c safe.directory='*' rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git -C "$SOURCE" -c safe.directory='*' rev-parse --short HEAD 2>/dev/null || echo unborn)
    version="$version+g$commit"
    if [ -n "$(git -C "$SOURCE" -c safe.directory='*' status --porcelain 2>/dev/null | head -n 1)" ]; then
      version="$version.dirty"
    fi
  fi
  echo "$version"
}

# The source, without caches or build leftovers, swapped in whole so an interrupted run leaves the old
# copy in place.
copy_source() {
  local src="$DESTDIR$APP_DIR/src"
  rm -rf "$src.new"
  mkdir -p "$src.new"
  tar -C "$SOURCE" --exclude=__pycache__ --exclude='*.pyc' --exclude='*.egg-info' -cf - \
    pyproject.toml README.md kiosk central_server config deploy/kiosk | tar -C "$src.new" -xf -
  rm -rf "$src"
  mv "$src.new" "$src"
  # The docs beside the app, where the unit's Documentation= points (file:///opt/hpf-kiosk/docs/…).
  rm -rf "$DESTDIR$APP_DIR/docs"
  install -d -m 0755 "$DESTDIR$APP_DIR/docs"
  install -m 0644 "$SOURCE"/docs/*.md "$DESTDIR$APP_DIR/docs/"
  chown -R 0:0 "$src" "$DESTDIR$APP_DIR/docs" 2>/dev/null || true
  source_version >"$DESTDIR$APP_DIR/VERSION"
}

make_venv() {
  local venv="$DESTDIR$APP_DIR/venv" build
  # Debian's own Python, whatever else is first on PATH: the venv is tied to the interpreter it was made by.
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  # Built from a scratch copy: setuptools writes build/ and *.egg-info next to the sources it builds.
  build=$(mktemp -d)
  cp -a "$DESTDIR$APP_DIR/src/." "$build/"
  # python -m pip, not bin/pip: in DESTDIR mode a second run finds bin/pip relocated to /opt already.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-warn-script-location "$build" \
    || { rm -rf "$build"; die "pip could not install the app into $venv (see above)"; }
  rm -rf "$build"
  if [ -n "$DESTDIR" ]; then
    # A virtualenv records its own path; point it at where it will live once DESTDIR is the root.
    { grep -rlI --null "$venv" "$venv/bin" "$venv/pyvenv.cfg" || true; } \
      | xargs -0 -r sed -i "s|$venv|$APP_DIR/venv|g"
  fi
}

# Unit files to /etc/systemd/system/ (with their drop-in directories, NAME.service.d/), and daemon
# configuration drop-ins (logind.conf.d/ and the like) to /etc/systemd/.
install_units() {
  local unit conf found=0
  for unit in "$SOURCE"/deploy/kiosk/systemd/*; do
    if [ -f "$unit" ]; then
      put 0644 "$unit" "/etc/systemd/system/$(basename "$unit")"
      found=1
    elif [ -d "$unit" ]; then
      for conf in "$unit"/*.conf; do
        [ -f "$conf" ] || continue
        case "$(basename "$unit")" in
          *.conf.d) put 0644 "$conf" "/etc/systemd/$(basename "$unit")/$(basename "$conf")" ;;
          *) put 0644 "$conf" "/etc/systemd/system/$(basename "$unit")/$(basename "$conf")" ;;
        esac
      done
    fi
  done
  [ "$found" = 1 ] || die "source missing: no unit files in $SOURCE/deploy/kiosk/systemd"
  [ -f "$SOURCE/deploy/kiosk/systemd/$KIOSK_UNIT" ] \
    || die "source missing: $SOURCE/deploy/kiosk/systemd/$KIOSK_UNIT"
}

install_udev() {
  local rules
  for rules in "$SOURCE"/deploy/kiosk/udev/*.rules; do
    [ -f "$rules" ] || continue
    put 0644 "$rules" "/etc/udev/rules.d/$(basename "$rules")"
  done
}

install_polkit() {
  local rule
  rule=$(mktemp)
  cat >"$rule" <<EOF
// pcscd (Debian 12) asks polkit whether a client may use PC/SC and the card in a reader. Its defaults allow
// only processes of an active local session, and polkit finds no session for a service's processes (they
// live in the service's cgroup, not a session scope): allow the kiosk user, and no one else.
// Installed by /opt/hpf-kiosk/src/deploy/kiosk/install.sh; removed by its --uninstall.
polkit.addRule(function (action, subject) {
    if ((action.id == "org.debian.pcsc-lite.access_pcsc" ||
         action.id == "org.debian.pcsc-lite.access_card") &&
        subject.user == "$KIOSK_USER") {
        return polkit.Result.YES;
    }
});
EOF
  put 0644 "$rule" "$POLKIT_RULE"
  rm -f "$rule"
}

# The kernel's default is already no blanking, and cage holds tty1 in graphics mode where console blanking
# does not act; the drop-in pins consoleblank=0 against a kernel built or booted otherwise, for the moments
# before cage starts and between restarts. /sys/module/kernel/parameters/consoleblank is read-only, so
# tmpfiles.d cannot set it; the kernel command line is the one place.
install_grub_dropin() {
  local dropin
  dropin=$(mktemp)
  cat >"$dropin" <<'EOF'
# HPF kiosk: the text console never blanks (docs/deployment.md). Removed by install.sh --uninstall.
GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT consoleblank=0"
EOF
  put 0644 "$dropin" "$GRUB_DROPIN"
  rm -f "$dropin"
  if [ -n "$DESTDIR" ] || command -v update-grub >/dev/null; then
    host update-grub
  fi
}

do_install() {
  [ -d "$SOURCE" ] || die "source missing: $SOURCE is not a directory"
  SOURCE="$(cd "$SOURCE" && pwd)"
  local required
  for required in pyproject.toml README.md kiosk docs/deployment.md deploy/kiosk/kiosk.toml.example \
    deploy/kiosk/udev deploy/kiosk/systemd; do
    [ -e "$SOURCE/$required" ] || die "source missing: $SOURCE/$required"
  done

  host apt-get update -q
  host env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"

  if [ -n "$DESTDIR" ]; then destdir_user; else host_user; fi

  dir root:root 0755 "$APP_DIR"
  : >"$DESTDIR$MANIFEST.new"
  copy_source
  make_venv

  # Settings: readable by the kiosk, written only by root. The outbox key's directory must be the
  # kiosk's own, 0700 (docs/outbox.md).
  dir root:$KIOSK_USER 0750 "$ETC_DIR"
  dir $KIOSK_USER:$KIOSK_USER 0700 "$ETC_DIR/keys"
  dir root:$KIOSK_USER 0750 "$ETC_DIR/tls"
  if [ ! -e "$DESTDIR$ETC_DIR/kiosk.toml" ]; then
    install -m 0640 "$SOURCE/deploy/kiosk/kiosk.toml.example" "$DESTDIR$ETC_DIR/kiosk.toml"
    say "wrote $ETC_DIR/kiosk.toml from the example: fill in the kiosk's id, centre and devices"
  else
    say "kept $ETC_DIR/kiosk.toml as it is"
  fi
  # Never its content; its owner and mode are put right, since it may hold the terminal secret.
  chmod 0640 "$DESTDIR$ETC_DIR/kiosk.toml"
  own root:$KIOSK_USER "$DESTDIR$ETC_DIR/kiosk.toml"
  dir $KIOSK_USER:$KIOSK_USER 0750 "$DATA_DIR"

  install_units
  install_udev
  install_polkit
  install_grub_dropin
  # Files the version installed before listed and this one does not (a unit renamed, say) go.
  local old
  if [ -f "$DESTDIR$MANIFEST" ]; then
    while read -r old; do
      grep -qxF "$old" "$DESTDIR$MANIFEST.new" || rm -f "$DESTDIR$old"
    done <"$DESTDIR$MANIFEST"
  fi
  sort -u "$DESTDIR$MANIFEST.new" >"$DESTDIR$MANIFEST"
  rm -f "$DESTDIR$MANIFEST.new"

  host systemctl daemon-reload
  host systemctl enable "$KIOSK_UNIT" pcscd.socket
  # cage is the only thing on tty1, and there is no display manager: graphical.target is just the target
  # the kiosk unit belongs to.
  host systemctl set-default graphical.target
  host systemctl disable getty@tty1.service
  # A kiosk never sleeps: a suspended kiosk looks broken and misses its heartbeats.
  host systemctl mask sleep.target suspend.target hibernate.target hybrid-sleep.target
  # polkitd notices the new rule by itself (it watches rules.d).
  host udevadm control --reload
  host udevadm trigger --action=change --subsystem-match=tty --subsystem-match=usbmisc --subsystem-match=usb

  say "installed $(cat "$DESTDIR$APP_DIR/VERSION") into ${DESTDIR:-}$APP_DIR"
  say "next: edit $ETC_DIR/kiosk.toml, check it with $APP_DIR/venv/bin/kiosk doctor, then reboot"
}

# --- uninstall -------------------------------------------------------------------------------------------

do_uninstall() {
  local file
  # Gone already when an earlier uninstall was interrupted; that is no reason to stop this one.
  host systemctl disable --now "$KIOSK_UNIT" || true
  if [ -f "$DESTDIR$MANIFEST" ]; then
    while read -r file; do rm -f "$DESTDIR$file"; done <"$DESTDIR$MANIFEST"
  else
    rm -f "$DESTDIR/etc/systemd/system/$KIOSK_UNIT" "$DESTDIR/etc/udev/rules.d/60-hpf-kiosk.rules" \
      "$DESTDIR$POLKIT_RULE" "$DESTDIR$GRUB_DROPIN"
  fi
  rm -rf "${DESTDIR:?}$APP_DIR"
  host systemctl daemon-reload
  host systemctl enable getty@tty1.service
  host systemctl unmask sleep.target suspend.target hibernate.target hybrid-sleep.target
  host udevadm control --reload
  if [ -n "$DESTDIR" ] || command -v update-grub >/dev/null; then
    host update-grub
  fi

  if [ "$PURGE" = 1 ]; then
    rm -rf "${DESTDIR:?}$ETC_DIR" "${DESTDIR:?}$DATA_DIR"
    if [ -n "$DESTDIR" ]; then
      for file in passwd group shadow; do
        [ -f "$DESTDIR/etc/$file" ] && sed -i "/^$KIOSK_USER:/d" "$DESTDIR/etc/$file"
      done
      sed -i -e "s/:$KIOSK_USER\$/:/" -e "s/:$KIOSK_USER,/:/" -e "s/,$KIOSK_USER\(,\|\$\)/\1/" \
        "$DESTDIR/etc/group"
    elif getent passwd "$KIOSK_USER" >/dev/null; then
      userdel "$KIOSK_USER"
    fi
    say "removed the app, its settings ($ETC_DIR), its data ($DATA_DIR) and the $KIOSK_USER user"
  else
    say "removed the app; kept $ETC_DIR, $DATA_DIR and the $KIOSK_USER user (--purge removes them)"
  fi
}

if [ "$MODE" = uninstall ]; then do_uninstall; else do_install; fi
