#!/usr/bin/env bash
# Builds VNet for installation on hosts that have no .NET: a self-contained directory
# (dotnet publish), and with --deb a Debian package made from it (dpkg-deb).
#
#   packaging/build.sh [--deb] [--out DIR] [--runtime RID]
#
# Output in DIR (default dist/): vnet-VERSION-RID/ (run VNet.Host from it: `VNet.Host vnetd ...`
# is the daemon, anything else the vnet client) and, with --deb, vnet_VERSION_ARCH.deb, which
# installs
#   /usr/lib/vnet/            the self-contained program (and hocon/vnetd.hocon, the defaults)
#   /usr/sbin/vnetd           the daemon          /usr/bin/vnet   the client
#   /lib/systemd/system/vnetd.service             /etc/vnet/vnetd.hocon (every key, commented)
#   /usr/share/doc/vnet/      deploy.md, trust.md and the other documents
# Installing does not start vnetd: it needs its certificate first (docs/deploy.md).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
out="$root/dist"
rid=linux-x64
deb=no
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=yes ;;
    --out) out=$(readlink -f "${2:?--out needs a directory}"); shift ;;
    --runtime) rid=${2:?--runtime needs a runtime identifier such as linux-x64 or linux-arm64}; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (usage: packaging/build.sh [--deb] [--out DIR] [--runtime RID])" >&2; exit 1 ;;
  esac
  shift
done
case "$rid" in
  linux-x64) arch=amd64 ;;
  linux-arm64) arch=arm64 ;;
  *) echo "build.sh: --runtime $rid: a .deb is made for linux-x64 or linux-arm64" >&2; [ "$deb" = no ] || exit 1; arch=unknown ;;
esac
command -v dotnet >/dev/null || { echo "build.sh: the .NET SDK 10 is needed (dotnet on PATH)" >&2; exit 1; }

# Debian versions start with a digit: the assembly version, then the commit.
version=1.0.0
if commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null); then version="$version+g$commit"; fi

publish="$out/vnet-$version-$rid"
# Earlier builds go: `dist/vnet_*.deb` then names this one alone.
rm -rf "$out"/vnet-*-"$rid" "$out"/vnet_*_"$arch".deb
mkdir -p "$out"
echo "build.sh: dotnet publish ($rid, self-contained) into $publish" >&2
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet publish "$root/Host/VNet.Host.csproj" -c Release -r "$rid" --self-contained true \
  -p:DebugType=none -o "$publish" --nologo -v q -clp:ErrorsOnly >&2
[ "$deb" = yes ] || { echo "$publish"; exit 0; }

command -v dpkg-deb >/dev/null || { echo "build.sh: --deb needs dpkg-deb (Debian package dpkg)" >&2; exit 1; }
stage="$out/deb-$arch"
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/lib/vnet" "$stage/usr/bin" "$stage/usr/sbin" \
  "$stage/lib/systemd/system" "$stage/etc/vnet" "$stage/usr/share/doc/vnet"
cp -a "$publish/." "$stage/usr/lib/vnet/"
printf '#!/bin/sh\nexec /usr/lib/vnet/VNet.Host vnetd "$@"\n' >"$stage/usr/sbin/vnetd"
printf '#!/bin/sh\nexec /usr/lib/vnet/VNet.Host "$@"\n' >"$stage/usr/bin/vnet"
chmod 0755 "$stage/usr/sbin/vnetd" "$stage/usr/bin/vnet"
install -m 0644 "$root/packaging/vnetd.service" "$stage/lib/systemd/system/vnetd.service"
install -m 0644 "$root/packaging/vnetd.hocon" "$stage/etc/vnet/vnetd.hocon"
install -m 0644 "$root"/docs/*.md "$stage/usr/share/doc/vnet/"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat >"$stage/DEBIAN/control" <<CONTROL
Package: vnet
Version: $version
Architecture: $arch
Maintainer: VNet developers <root@localhost>
Installed-Size: $size
Depends: iproute2, nftables
Recommends: libpcap0.8, ethtool
Suggests: libvirt-clients
Section: net
Priority: optional
Homepage: file:///usr/share/doc/vnet/deploy.md
Description: layer-2 virtual networks between VMs on different hosts
 One vnetd per host; the nodes form a cluster, negotiate links and carry the
 VMs' Ethernet frames over the IP network (raw IP, UDP, multicast).
CONTROL
echo /etc/vnet/vnetd.hocon >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  install -d -m 0700 /etc/vnet/pki /var/lib/vnet
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
fi
SCRIPT
cat >"$stage/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then systemctl stop vnetd.service || true; fi
SCRIPT
cat >"$stage/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then rm -rf /var/lib/vnet; fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
SCRIPT
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
package="$out/vnet_${version}_${arch}.deb"
# gzip: a tenth of the time xz takes on this 90 MB tree, and every dpkg reads it.
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$package" >&2
rm -rf "$stage"
echo "$package"
