#!/bin/sh
# Prints the Debian packages that provide the shared libraries the given binaries load directly (DT_NEEDED),
# one per line, sorted: the runtime stage of the Dockerfiles installs exactly these (apt adds their own
# dependencies). Run in the build stage, where the -dev packages put the libraries in place.
set -eu
for bin in "$@"; do [ -f "$bin" ] || { echo "runtime-packages: no such file: $bin" >&2; exit 1; }; done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
libs=$(for bin in "$@"; do objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'; done | sort -u)
[ -n "$libs" ] || { echo "runtime-packages: no NEEDED entries in $*" >&2; exit 1; }
pkgs=
for lib in $libs; do
  # usrmerge: dpkg knows each library under the path its package ships it at, /usr/lib or /lib.
  owner=$(dpkg-query -S "/usr/lib/$multiarch/$lib" 2>/dev/null || dpkg-query -S "/lib/$multiarch/$lib" 2>/dev/null) || {
    echo "runtime-packages: no Debian package ships $lib" >&2
    exit 1
  }
  pkgs="$pkgs ${owner%%:*}"
done
printf '%s\n' $pkgs | sort -u
