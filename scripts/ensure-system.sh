#!/usr/bin/env bash
# What `make test` needs from the system, beyond the Rust toolchain and Python 3.11: qemu and the
# aarch64 C library (the arm64 bootstrap), Docker (sam local), a static busybox (the offline base
# image), readelf (the glibc check), curl. Installs what is missing with apt when it runs as root
# or with passwordless sudo; otherwise stops at once, before any build, with the one command.
set -euo pipefail
packages=()
command -v qemu-aarch64-static >/dev/null || packages+=(qemu-user-static)
[ -d /usr/aarch64-linux-gnu/lib ] || packages+=(libc6-arm64-cross)
{ command -v dockerd >/dev/null && command -v docker >/dev/null; } || packages+=(docker.io)
if ! [ -x /bin/busybox ] || readelf -d /bin/busybox 2>/dev/null | grep -q NEEDED; then packages+=(busybox-static); fi
command -v readelf >/dev/null || packages+=(binutils)
command -v curl >/dev/null || packages+=(curl)
[ -f /etc/ssl/certs/ca-certificates.crt ] || packages+=(ca-certificates)
if [ ${#packages[@]} -eq 0 ]; then
  echo "ensure-system: every system package is there"
  exit 0
fi
command="apt-get install -y --no-install-recommends ${packages[*]}"
if ! command -v apt-get >/dev/null; then
  echo "ensure-system: missing ${packages[*]} and there is no apt-get: install their equivalents, then run make test again" >&2
  exit 2
fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo)
else
  echo "ensure-system: missing ${packages[*]}; run this once, then make test again:" >&2
  echo "  sudo apt-get update && sudo $command" >&2
  exit 2
fi
echo "ensure-system: installing ${packages[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive $command -qq
