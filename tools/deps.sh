#!/bin/sh
# Installs the Debian packages Liaison builds and tests with (DESIGN.md §2)
# that are missing. Asks dpkg-query first: when all is there it does nothing
# and needs no network.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev openssl python3 tmux
zbar-tools xxd libsignal-protocol-c-dev libsodium-dev libssl-dev
libwebsockets-dev libsqlite3-dev libncurses-dev libqrencode-dev libzbar-dev
libpng-dev libjpeg62-turbo-dev libprotobuf-c-dev protobuf-c-compiler
libjansson-dev libutf8proc-dev libcmocka-dev liboath-dev sqlite3 valgrind"
missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
