#!/bin/bash
# Installs everything ikelab's interop tests need, on Debian 12 amd64 (Ubuntu should
# work with IKELAB_DEBIAN_MIRROR set, untested), as root.
#
#   peers/install.sh            install what is missing; a second run does nothing
#
# Where things go (IKELAB_PEERS_DIR overrides the prefix, default /opt/ikelab):
#   system-wide (apt)        strongSwan charon + swanctl + kernel-libipsec + the standard plugins
#                            (openssl for 3DES, gcm for AES-GCM), busybox-static,
#                            nftables, conntrack (NAT rebinding), iproute2, ping, tcpdump,
#                            tshark, ike-scan, patchelf, and the shared libraries Libreswan's
#                            pluto links against
#   $PREFIX/libreswan/       Libreswan, extracted from its .deb (it conflicts with strongSwan)
#   $PREFIX/uml/             a user-mode-linux kernel and the C library it runs on (see below)
#   $PREFIX/guest/initrd.gz  initramfs for the user-mode-linux Libreswan guest (peers/guest/)
#   $PREFIX/peers.env        KEY=value manifest of the paths above, for drivers
#   $PREFIX/stamps/          one file per step naming what it installed; a matching stamp
#                            means the step is done
#   $PREFIX/install.log      the apt and build output of the last run that did something
#
# Why the UML kernel does not come from Debian 12: its user-mode-linux 6.1 (and Debian
# 13's 6.12) hand the host a fixed-size FPU buffer in PTRACE_SETREGSET; on a CPU whose
# XSAVE area is larger (AVX-512, AMX) the host answers EFAULT and the guest's init dies
# ("ptrace set fp regs failed, errno = 14"). Debian unstable's kernel sizes the buffer
# from the CPU, so it is fetched from there (through a private apt configuration that
# leaves the system's sources alone) with the C library it needs, and pointed at that
# library with patchelf. IKELAB_DEBIAN_MIRROR names the archive if the system's apt
# sources do not include Debian.
#
# Each step prints one line. Anything that cannot be installed stops the script with a
# non-zero exit and the reason (and the tail of install.log).
set -euo pipefail

# Bump a step's recipe when its way of installing changes, so stamps made by the old
# recipe no longer count.
readonly SYSTEM_RECIPE=3
readonly LIBRESWAN_RECIPE=1
readonly UML_RECIPE=1
readonly GUEST_RECIPE=1
readonly VERIFIED_LIBRESWAN=4.10
readonly UML_SUITE=unstable

readonly SYSTEM_PACKAGES=(
    strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
    busybox-static nftables conntrack iproute2 iputils-ping tcpdump tshark ike-scan
    libnss3-tools dash cpio patchelf debian-archive-keyring
)
# Kernel modules the guest must have; the whole crypto directory rides along too, so
# the kernel can autoload whatever algorithm a test negotiates.
readonly GUEST_MODULES=(esp4 xfrm_user authenc cbc echainiv seqiv ah4 ipcomp)

readonly PREFIX=${IKELAB_PEERS_DIR:-/opt/ikelab}
readonly LIBRESWAN_ROOT=$PREFIX/libreswan
readonly UML_ROOT=$PREFIX/uml
readonly GUEST_DIR=$PREFIX/guest
readonly STAMPS=$PREFIX/stamps
readonly LOG=$PREFIX/install.log
readonly MULTIARCH_LIB=usr/lib/x86_64-linux-gnu
GUEST_TEMPLATES=$(cd "$(dirname "${BASH_SOURCE[0]}")/guest" && pwd)
readonly GUEST_TEMPLATES

started_ms=$(($(date +%s%N) / 1000000))
steps_changed=0
apt_updated=no
scratch=

fail() {
    echo "install.sh: FAILED: $*" >&2
    if [ -s "$LOG" ]; then
        echo "install.sh: last lines of $LOG:" >&2
        tail -n 15 "$LOG" >&2
    fi
    exit 1
}

cleanup_scratch() { [ -z "$scratch" ] || rm -rf "$scratch"; }
trap cleanup_scratch EXIT

# Runs a command with its output going to the log (emptied by the first such command of
# a run, so it keeps the last run that did something); a failure names the step.
log_started=no
logged() {
    local what=$1
    shift
    if [ "$log_started" = no ]; then
        : >"$LOG"
        log_started=yes
    fi
    echo "+ $*" >>"$LOG"
    "$@" >>"$LOG" 2>&1 || fail "$what (command: $*)"
}

stamp_matches() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
write_stamp() { printf '%s\n' "$2" >"$STAMPS/$1"; }
stamped_value() { sed -n "s/.* $2=//p" "$STAMPS/$1"; }
step_changed() { steps_changed=$((steps_changed + 1)); }

apt_update_once() {
    [ "$apt_updated" = yes ] && return
    logged "apt-get update" apt-get update
    apt_updated=yes
}

apt_install() {
    apt_update_once
    # Another apt (unattended upgrades on a fresh CI image) may hold the lock: wait for it.
    logged "apt-get install $*" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
        -o Dpkg::Options::=--force-confold "$@"
}

# Prints "name=version" for each package, or fails if one is not installed.
installed_versions() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Abbrev}${Package}=${Version}\n' "$@" 2>/dev/null) || return 1
    [ "$(grep -c '^ii ' <<<"$status")" -eq $# ] || return 1
    sed 's/^ii *//' <<<"$status"
}

version_of() { dpkg-query -W -f='${Version}' "$1"; }

step_system_packages() {
    local versions
    if versions=$(installed_versions "${SYSTEM_PACKAGES[@]}") &&
        stamp_matches system-packages "recipe=$SYSTEM_RECIPE $(echo $versions)"; then
        echo "[1/5] system packages: present (${#SYSTEM_PACKAGES[@]} packages)"
        return
    fi
    # tshark would otherwise ask whether non-root users may capture.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt_install "${SYSTEM_PACKAGES[@]}"
    versions=$(installed_versions "${SYSTEM_PACKAGES[@]}") ||
        fail "system packages: apt-get finished but not all of ${SYSTEM_PACKAGES[*]} are installed"
    write_stamp system-packages "recipe=$SYSTEM_RECIPE $(echo $versions)"
    step_changed
    echo "[1/5] system packages: installed ${#SYSTEM_PACKAGES[@]} packages (strongswan-charon $(version_of strongswan-charon))"
}

# The library packages among a .deb's Depends (first alternative, no version bounds).
library_dependencies() {
    dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/ //g' |
        grep -E '^lib' | sort -u
}

missing_libraries() {
    local binary
    for binary in "$@"; do
        ldd "$binary" 2>&1 | awk -v b="${binary##*/}" '/not found/ {print b ": " $1}'
    done
}

libreswan_binaries() {
    local name
    for name in pluto whack addconn; do echo "$LIBRESWAN_ROOT/usr/libexec/ipsec/$name"; done
}

# Downloads the named packages with apt-get into the current directory. Extra
# arguments before "--" are apt options (a private configuration).
apt_download() {
    local options=()
    while [ "$1" != -- ]; do options+=("$1"); shift; done
    shift
    # apt's download sandbox user cannot write into our root-owned scratch folder.
    logged "apt-get download $*" apt-get "${options[@]}" -o APT::Sandbox::User=root download "$@"
}

# Extracts a .deb into DIR.new, runs CHECK on it, then swaps it into DIR, so a failed
# run never leaves half an installation behind.
extract_and_swap() {
    local dir=$1 check=$2
    shift 2
    rm -rf "$dir.new"
    local deb
    for deb in "$@"; do logged "extract $deb" dpkg-deb -x "$deb" "$dir.new"; done
    "$check" "$dir.new"
    rm -rf "$dir"
    mv "$dir.new" "$dir"
}

step_libreswan() {
    if [ -f "$STAMPS/libreswan" ] && grep -q "^recipe=$LIBRESWAN_RECIPE " "$STAMPS/libreswan" &&
        [ -z "$(missing_libraries $(libreswan_binaries) 2>&1)" ]; then
        echo "[2/5] libreswan: present in $LIBRESWAN_ROOT ($(stamped_value libreswan libreswan))"
        return
    fi
    apt_update_once
    mkdir -p "$scratch/libreswan"
    (cd "$scratch/libreswan" && apt_download -- libreswan)
    local deb version libraries
    deb=$(ls "$scratch"/libreswan/libreswan_*.deb) || fail "libreswan: apt-get download produced no .deb"
    version=$(dpkg-deb -f "$deb" Version)
    libraries=$(library_dependencies "$deb")
    [ -z "$libraries" ] || apt_install $libraries
    extract_and_swap "$LIBRESWAN_ROOT" check_libreswan_root "$deb"
    write_stamp libreswan "recipe=$LIBRESWAN_RECIPE libreswan=$version"
    step_changed
    local note=""
    case $version in "$VERIFIED_LIBRESWAN"-*) ;; *) note=", not the verified $VERIFIED_LIBRESWAN" ;; esac
    echo "[2/5] libreswan: installed $version in $LIBRESWAN_ROOT$note"
}

check_libreswan_root() {
    local missing
    missing=$(missing_libraries "$1"/usr/libexec/ipsec/{pluto,whack,addconn} 2>&1)
    [ -z "$missing" ] || fail "libreswan: shared libraries missing: $(echo $missing)"
}

# The Debian archive the system already uses, unless IKELAB_DEBIAN_MIRROR says otherwise.
debian_mirror() {
    if [ -n "${IKELAB_DEBIAN_MIRROR:-}" ]; then
        echo "$IKELAB_DEBIAN_MIRROR"
        return
    fi
    local codename uri
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    uri=$(apt-get indextargets --format '$(REPO_URI)' "Codename: $codename" "Component: main" \
        'Created-By: Packages' 2>/dev/null | grep -v security | head -n 1)
    [ -n "$uri" ] || fail "uml: no Debian archive among the apt sources; set IKELAB_DEBIAN_MIRROR"
    echo "${uri%/}"
}

# apt options for a private configuration under DIR that reads only $UML_SUITE.
private_apt_options() {
    local dir=$1
    echo "-o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=$dir/none"
    echo "-o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache -o Acquire::Languages=none"
    echo "-o APT::Architectures=amd64 -o Dir::Etc::Preferences=$dir/none -o Dir::Etc::PreferencesParts=$dir/none"
    echo "-o APT::Sandbox::User=root"
}

step_uml_kernel() {
    if [ -f "$STAMPS/uml" ] && grep -q "^recipe=$UML_RECIPE " "$STAMPS/uml" &&
        "$UML_ROOT/usr/bin/linux.uml" --version >/dev/null 2>&1; then
        echo "[3/5] uml kernel: present in $UML_ROOT ($(stamped_value uml user-mode-linux))"
        return
    fi
    [ "$(dpkg --print-architecture)" = amd64 ] || fail "uml: only amd64 is supported"
    # The system's package lists tell which archive it uses.
    apt_update_once
    local apt_dir=$scratch/apt
    mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial,none,debs}
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(debian_mirror) $UML_SUITE main" \
        >"$apt_dir/sources.list"
    local options
    options=$(private_apt_options "$apt_dir")
    logged "uml: apt-get update ($UML_SUITE)" apt-get $options update
    (cd "$apt_dir/debs" && apt_download $options -- user-mode-linux libc6)
    local uml_deb libc_deb
    uml_deb=$(ls "$apt_dir"/debs/user-mode-linux_*.deb) || fail "uml: no user-mode-linux .deb downloaded"
    libc_deb=$(ls "$apt_dir"/debs/libc6_*.deb) || fail "uml: no libc6 .deb downloaded"
    extract_and_swap "$UML_ROOT" point_uml_at_its_libc "$uml_deb" "$libc_deb"
    write_stamp uml "recipe=$UML_RECIPE libc6=$(dpkg-deb -f "$libc_deb" Version) user-mode-linux=$(dpkg-deb -f "$uml_deb" Version)"
    step_changed
    echo "[3/5] uml kernel: installed $(stamped_value uml user-mode-linux) from $UML_SUITE in $UML_ROOT"
}

# linux.uml must run on the C library it was built for; the system's may be older.
point_uml_at_its_libc() {
    local root=$1
    local final_lib=$UML_ROOT/$MULTIARCH_LIB
    logged "uml: patchelf" patchelf --set-interpreter "$final_lib/ld-linux-x86-64.so.2" \
        --set-rpath "$final_lib" "$root/usr/bin/linux.uml"
    # The interpreter path names the final place; check through the same files there.
    "$root/$MULTIARCH_LIB/ld-linux-x86-64.so.2" --library-path "$root/$MULTIARCH_LIB" \
        "$root/usr/bin/linux.uml" --version >>"$LOG" 2>&1 ||
        fail "uml: linux.uml --version does not run with its C library"
}

uml_modules_dir() {
    local dirs=("$UML_ROOT"/usr/lib/uml/modules/*)
    [ ${#dirs[@]} -eq 1 ] && [ -d "${dirs[0]}" ] ||
        fail "guest: expected exactly one kernel in $UML_ROOT/usr/lib/uml/modules, found: ${dirs[*]}"
    echo "${dirs[0]}"
}

# Everything the guest image is made from; a different value means rebuild.
guest_inputs() {
    echo "recipe=$GUEST_RECIPE"
    cat "$STAMPS/libreswan" "$STAMPS/uml"
    dpkg-query -W -f='${Package}=${Version}\n' busybox-static dash libnss3 libnss3-tools iproute2
    (cd "$GUEST_TEMPLATES" && sha256sum -- *)
}

# Copies files to the same path under the image root.
copy_into() {
    local root=$1 file
    shift
    for file in "$@"; do
        mkdir -p "$root$(dirname "$file")"
        cp -L "$file" "$root$file"
    done
}

# Copies the shared libraries the given binaries load (and the loader) into the image root.
copy_libraries_of() {
    local root=$1 binary
    shift
    copy_into "$root" $(for binary in "$@"; do
        ldd "$binary" 2>/dev/null | awk '/=> \// {print $3} /^\t\/.*ld-linux/ {print $1}'
    done | sort -u)
}

# Prints the given modules and everything they depend on, as paths from modules.dep.
module_closure() {
    local modules_dir=$1
    shift
    awk -v want="$*" '
        { sub(":", "", $1); path = $1; $1 = ""; deps[path] = $0 }
        END {
            n = split(want, queue, " ")
            while (n > 0) {
                m = queue[n--]
                if (m in seen) continue
                seen[m] = 1; print m
                k = split(deps[m], d, " ")
                for (i = 1; i <= k; i++) queue[++n] = d[i]
            }
        }' "$modules_dir/modules.dep"
}

add_guest_programs() {
    local root=$1
    # Libreswan at the paths pluto has compiled in (/usr/libexec/ipsec for addconn, _updown).
    cp -a "$LIBRESWAN_ROOT/usr/libexec" "$root/usr/"
    cp -a "$LIBRESWAN_ROOT/usr/sbin/ipsec" "$root/usr/sbin/"
    # NSS loads its softoken with dlopen, so ldd of pluto does not name it: take the whole
    # libnss3 package. iproute2's ip is needed for `ip xfrm`, which busybox lacks; dash is
    # /bin/sh because busybox's shell runs its own applets (its ip) ahead of PATH, and
    # Libreswan's _updown needs iproute2's ip.
    local host_files=(
        $(dpkg -L libnss3 | grep '\.so[.0-9]*$')
        /usr/bin/certutil /usr/bin/pk12util /usr/sbin/ip /usr/bin/dash
    )
    copy_into "$root" "${host_files[@]}"
    copy_libraries_of "$root" $(libreswan_binaries) "${host_files[@]}"
    ln -s dash "$root/usr/bin/sh"
    cp -L /bin/busybox "$root/usr/bin/busybox"
    local applet
    for applet in $("$root/usr/bin/busybox" --list-full); do
        [ -e "$root/usr/bin/${applet##*/}" ] || [ -e "$root/usr/sbin/${applet##*/}" ] ||
            ln -s /usr/bin/busybox "$root/$applet"
    done
    # The kernel runs /sbin/modprobe to autoload crypto templates (authenc) and algorithms.
    [ -e "$root/usr/sbin/modprobe" ] || fail "guest: busybox has no modprobe applet"
}

add_guest_modules() {
    local root=$1 modules_dir kernel_version
    modules_dir=$(uml_modules_dir)
    kernel_version=${modules_dir##*/}
    local wanted=() name path
    for name in "${GUEST_MODULES[@]}"; do
        path=$(grep -oE "^kernel/[^:]*/$name\.ko" "$modules_dir/modules.dep") ||
            fail "guest: kernel module $name not found in $modules_dir"
        wanted+=("$path")
    done
    wanted+=($(cd "$modules_dir" && ls kernel/crypto/*.ko kernel/lib/crypto/*.ko 2>/dev/null))
    local target=$root/lib/modules/$kernel_version
    for path in $(module_closure "$modules_dir" "${wanted[@]}"); do
        mkdir -p "$target/$(dirname "$path")"
        cp "$modules_dir/$path" "$target/$path"
    done
    cp "$modules_dir"/modules.builtin* "$modules_dir/modules.order" "$target/"
    logged "guest: depmod" "$root/usr/bin/busybox" depmod -b "$root" "$kernel_version"
}

build_guest_image() {
    local root=$scratch/guest-root
    # Merged /usr layout, as on the host, so library paths from ldd land where the
    # guest's dynamic loader looks.
    mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{proc,sys,dev,run,tmp,host,root}
    mkdir -p "$root"/etc/ipsec.d "$root"/var/lib/ipsec/nss
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    add_guest_programs "$root"
    add_guest_modules "$root"

    echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
    echo "root:x:0:" >"$root/etc/group"
    echo "127.0.0.1 localhost" >"$root/etc/hosts"
    : >"$root/etc/resolv.conf"
    echo "/$MULTIARCH_LIB" >"$root/etc/ld.so.conf"
    logged "guest: ldconfig" ldconfig -r "$root"
    # An empty NSS database at pluto's default nssdir, made now so boots skip certutil.
    logged "guest: NSS database" certutil -N -d "sql:$root/var/lib/ipsec/nss" --empty-password
    install -m 0755 "$GUEST_TEMPLATES/init.sh" "$root/init"

    mkdir -p "$GUEST_DIR"
    (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$GUEST_DIR/initrd.gz.new") ||
        fail "guest: packing the initramfs"
    mv "$GUEST_DIR/initrd.gz.new" "$GUEST_DIR/initrd.gz"
}

step_guest() {
    local inputs
    inputs=$(guest_inputs)
    if [ -f "$GUEST_DIR/initrd.gz" ] && stamp_matches guest "$inputs"; then
        echo "[4/5] guest: present ($GUEST_DIR/initrd.gz)"
        return
    fi
    build_guest_image
    write_stamp guest "$inputs"
    step_changed
    echo "[4/5] guest: built $GUEST_DIR/initrd.gz ($(du -k "$GUEST_DIR/initrd.gz" | cut -f1) KiB, kernel $(basename "$(uml_modules_dir)"))"
}

manifest() {
    cat <<EOF
# Written by peers/install.sh: what ikelab's peer drivers run.
IKELAB_PEERS_DIR=$PREFIX
IKELAB_LIBRESWAN_ROOT=$LIBRESWAN_ROOT
IKELAB_LIBRESWAN_VERSION=$(stamped_value libreswan libreswan)
IKELAB_UML_KERNEL=$UML_ROOT/usr/bin/linux.uml
IKELAB_UML_VERSION=$(stamped_value uml user-mode-linux)
IKELAB_GUEST_INITRD=$GUEST_DIR/initrd.gz
IKELAB_CHARON=/usr/lib/ipsec/charon
IKELAB_SWANCTL=/usr/sbin/swanctl
EOF
}

step_manifest() {
    local wanted
    wanted=$(manifest)
    if [ -f "$PREFIX/peers.env" ] && [ "$(cat "$PREFIX/peers.env")" = "$wanted" ]; then
        echo "[5/5] manifest: present ($PREFIX/peers.env)"
        return
    fi
    printf '%s\n' "$wanted" >"$PREFIX/peers.env"
    step_changed
    echo "[5/5] manifest: wrote $PREFIX/peers.env"
}

main() {
    [ "$(id -u)" -eq 0 ] || fail "must run as root (it installs packages and writes $PREFIX)"
    command -v apt-get >/dev/null || fail "needs apt-get (Debian)"
    mkdir -p "$PREFIX" "$STAMPS"
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/ikelab-install.XXXXXX")

    step_system_packages
    step_libreswan
    step_uml_kernel
    step_guest
    step_manifest

    local elapsed_ms=$(($(date +%s%N) / 1000000 - started_ms))
    local elapsed=$((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000)))
    if [ "$steps_changed" -eq 0 ]; then
        echo "install.sh: everything present, nothing to do (${elapsed}s)"
    else
        echo "install.sh: done, $steps_changed step(s) changed (${elapsed}s, log in $LOG)"
    fi
}

main "$@"
