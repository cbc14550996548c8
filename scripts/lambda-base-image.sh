#!/usr/bin/env bash
# The base image `sam local` asks for, public.ecr.aws/lambda/provided:al2023-<arch>: the real one
# when it is already on the machine (pulled by a user who can reach the registry), else a stand-in
# made here with no registry at all. The stand-in is NOT Amazon Linux: busybox-static, the files
# of this host's Debian `libc6` and `libgcc-s1` packages, a CA bundle, merged-/usr links, Lambda's
# environment variables and WORKDIR /var/task, loaded with `docker import` under SAM's name.
# Because its C library is Debian's, scripts/check-glibc.sh proves the bootstrap needs no glibc
# newer than Amazon Linux 2023's.
# Usage: scripts/lambda-base-image.sh [x86_64|arm64]   (prints what it used; never pulls)
set -euo pipefail
arch=${1:-x86_64}
image="public.ecr.aws/lambda/provided:al2023-$arch"
stand_in_label="cancel-lifecycle-execution.stand-in=not-amazon-linux"

if docker image inspect "$image" >/dev/null 2>&1; then
  if docker image inspect --format '{{json .Config.Labels}}' "$image" | grep -q 'not-amazon-linux'; then
    echo "lambda-base-image: $image is this repository's stand-in (Debian's glibc and busybox, NOT Amazon Linux), made earlier"
  else
    echo "lambda-base-image: $image is on this machine (the real image): using it"
  fi
  exit 0
fi
[ "$arch" = "$(uname -m | sed 's/aarch64/arm64/')" ] || {
  echo "lambda-base-image: a stand-in can only be made for this host's architecture ($(uname -m)), not $arch" >&2
  exit 2
}
busybox=/bin/busybox
if ! [ -x "$busybox" ] || readelf -d "$busybox" 2>/dev/null | grep -q NEEDED; then
  echo "lambda-base-image: needs a static busybox: apt-get install busybox-static" >&2
  exit 2
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/sbin" \
  "$root/var/task" "$root/var/runtime" "$root/opt" "$root/tmp" "$root/etc/ssl/certs" \
  "$root/etc/pki/tls/certs" "$root/proc" "$root/sys" "$root/dev"
chmod 1777 "$root/tmp"
for dir in bin lib lib64 sbin; do ln -s "usr/$dir" "$root/$dir"; done
cp "$busybox" "$root/usr/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/usr/bin/$applet" ] || ln -s busybox "$root/usr/bin/$applet"
done
# The C library and the unwinder as Debian packages them (files only, through the /usr links).
dpkg -L libc6 libgcc-s1 | while read -r path; do
  if [ -f "$path" ] && ! [ -d "$path" ]; then
    mkdir -p "$root$(dirname "$path")"
    cp -L "$path" "$root$path"
  fi
done
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/pki/tls/certs/ca-bundle.crt"
printf 'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

tar -C "$root" -cf - . | docker import \
  --change "LABEL $stand_in_label" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=en_US.UTF-8 TZ=:/etc/localtime' \
  --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
  --change 'ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime' \
  --change 'WORKDIR /var/task' \
  - "$image" >/dev/null
echo "lambda-base-image: made a stand-in for $image (Debian's glibc $(dpkg-query -W -f '${Version}' libc6) and busybox: NOT Amazon Linux; no registry was used)"
