#!/usr/bin/env bash
# Install every Debian package pping needs to build, test and demo.
# Idempotent: packages already present are skipped, and the package index is
# refreshed at most once per run.
set -euo pipefail

PKGS=(
	# build
	clang llvm gcc make pkg-config libbpf-dev libxdp-dev bpftool
	libelf-dev zlib1g-dev linux-libc-dev
	# run and test (util-linux: setpriv; binutils: nm, for tests/sanitize.sh;
	# python3: strict JSON parsing in tests/e2e/test_output.sh). A tool a
	# test needs that is not installed is a failure, not a skip: list it here.
	iproute2 ethtool iperf3 tcpdump jq iputils-ping procps xdp-tools
	util-linux binutils python3
	# accuracy test (issue 6): ground truth from a capture
	libpcap-dev
	# outputs and service (issue 5): metrics server, plots, unit check
	libmicrohttpd-dev prometheus gnuplot-nox systemd man-db strace
	# benchmarks (make bench): small-packet workload
	nginx wrk curl
	# Debian package (make deb, tests/e2e/test_deb.sh): the build, its
	# checks, pping-plot's manual page, and the logrotate snippet's check
	dpkg-dev debhelper lintian help2man logrotate
	# the unit under a real systemd (make test-systemd): a Debian tree
	# booted with systemd-nspawn; capsh decodes capability masks
	systemd-container debootstrap libcap2-bin
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
