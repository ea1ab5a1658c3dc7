#!/usr/bin/env bash
# System packages the kiosk, its demo and its tests need, from Debian 12. Idempotent: run it as often as
# you like; it installs only what is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  python3 python3-venv python3-dev build-essential pkg-config  # the virtualenv and packages that compile
  fonts-noto-cjk fonts-noto-mono                               # Simplified Chinese on screen and on receipts
  xvfb xauth x11-utils                                         # a virtual screen for the UI tests and headless demos
  libgl1 libgl1-mesa-dri libegl1 libgles2 libmtdev1            # what Kivy's SDL2 window needs to draw
  pcscd libpcsclite-dev swig vsmartcard-vpcd                   # bank card reader: PC/SC, pyscard's build, virtual cards
  socat gettext                                                # serial bridging for device diagnostics; catalogues
  strace util-linux                                            # the outbox's one-fsync test; unshare for a private pcscd
  chromium                                                     # the operator console's tests, in a real browser
  postgresql                                                   # initdb/pg_ctl: the centre's tests on a real PostgreSQL
  systemd shellcheck                                           # the kiosk's units verified; its install script checked
  nginx                                                        # the sample reverse proxy's test (deploy/central/nginx)
  espeak-ng alsa-utils                                         # voice guidance: offline Mandarin/English speech, aplay
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
