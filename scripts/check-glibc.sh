#!/usr/bin/env bash
# Each bootstrap given must need no glibc symbol version newer than Amazon Linux 2023's (2.34):
# the `sam local` stand-in image runs Debian's newer glibc, so running there proves nothing of it.
# Usage: scripts/check-glibc.sh BOOTSTRAP...
set -euo pipefail
max=${GLIBC_MAX:-2.34}
command -v readelf >/dev/null || { echo "check-glibc: needs readelf: apt-get install binutils" >&2; exit 2; }
status=0
for bootstrap in "$@"; do
  [ -f "$bootstrap" ] || { echo "check-glibc: $bootstrap is missing" >&2; exit 2; }
  # Undefined dynamic symbols look like `memcpy@GLIBC_2.14 (3)`.
  newer=$(readelf --dyn-syms --wide "$bootstrap" | grep -o '[A-Za-z0-9_]*@GLIBC_[0-9.]*' | sort -u |
    awk -F'@GLIBC_' -v max="$max" '
      function newer(a, b,   x, y, i, n) {
        n = split(a, x, "."); split(b, y, ".")
        for (i = 1; i <= 3; i++) { if ((x[i] + 0) > (y[i] + 0)) return 1; if ((x[i] + 0) < (y[i] + 0)) return 0 }
        return 0
      }
      newer($2, max) { print $1 " needs GLIBC_" $2 }')
  highest=$(readelf --dyn-syms --wide "$bootstrap" | grep -o '@GLIBC_[0-9.]*' | sed 's/@GLIBC_//' | sort -uV | tail -n 1)
  if [ -n "$newer" ]; then
    echo "check-glibc: $bootstrap needs a glibc newer than $max (Amazon Linux 2023):" >&2
    echo "$newer" >&2
    status=1
  else
    echo "check-glibc: $bootstrap needs at most GLIBC_$highest (Amazon Linux 2023 has $max)"
  fi
done
exit $status
