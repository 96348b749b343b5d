#!/bin/sh
# PID 1 of ikelab's Libreswan guest (user-mode-linux initramfs built by peers/install.sh).
# Mounts the case folder the driver named on the kernel command line, configures the
# network from it, starts pluto with its config, announces readiness, then runs the
# commands the driver drops into the folder until asked to stop. README.md beside this
# file describes the protocol from the driver's side.
export PATH=/usr/sbin:/usr/bin:/usr/libexec/ipsec
SHARE=/host
COMMAND_TIMEOUT=120

say() { echo "ikelab-guest: $*"; }
uptime_seconds() { cut -d' ' -f1 /proc/uptime; }

# Writes a file in the share atomically (temp + rename): the driver polls for these
# names and must never read half a file.
publish() {
    echo "$2" >"$SHARE/.$1.tmp" && mv "$SHARE/.$1.tmp" "$SHARE/$1"
}

power_off() {
    sync
    umount "$SHARE" 2>/dev/null
    poweroff -f
}

fail() {
    say "FAILED: $*"
    publish failed "$*"
    power_off
}

read_kernel_command_line() {
    share_on_host=
    max_life=3600
    for arg in $(cat /proc/cmdline); do
        case $arg in
            ikelab.share=*) share_on_host=${arg#*=} ;;
            ikelab.maxlife=*) max_life=${arg#*=} ;;
        esac
    done
}

mount_kernel_filesystems() {
    mount -t proc proc /proc
    mount -t sysfs sys /sys
    mount -t devtmpfs dev /dev
    mkdir -p /dev/shm /dev/pts
    mount -t tmpfs shm /dev/shm
    mount -t tmpfs run /run
}

mount_share() {
    [ -n "$share_on_host" ] || fail "no ikelab.share=HOSTDIR on the kernel command line"
    mount -t hostfs none "$SHARE" -o "$share_on_host" || fail "cannot mount hostfs $share_on_host"
}

# ESP and its templates are modules in Debian's UML kernel; the kernel autoloads the
# algorithms a negotiated SA needs through /sbin/modprobe.
load_ipsec_modules() {
    for module in esp4 xfrm_user authenc cbc echainiv seqiv; do
        modprobe "$module" || fail "modprobe $module"
    done
}

# network.ip holds one `ip` command per line (without the leading `ip`).
configure_network() {
    ip link set lo up
    [ -f "$SHARE/network.ip" ] || return 0
    while read -r line; do
        case $line in '' | '#'*) continue ;; esac
        ip $line || fail "ip $line"
    done <"$SHARE/network.ip"
}

start_pluto() {
    [ -f "$SHARE/ipsec.conf" ] || fail "no ipsec.conf in the share"
    mkdir -p /run/pluto
    # --logfile after --config so the share always receives the log.
    pluto --nofork --config "$SHARE/ipsec.conf" --secretsfile "$SHARE/ipsec.secrets" \
        --logfile "$SHARE/pluto.log" &
    pluto_pid=$!
    tries=0
    until whack --globalstatus >/dev/null 2>&1; do
        kill -0 "$pluto_pid" 2>/dev/null || fail "pluto exited during startup (see pluto.log)"
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || fail "pluto did not answer whack within 30 s"
        sleep 0.1
    done
}

# Runs one request file ctl/NAME.cmd with sh; its output goes to ctl/NAME.out and then
# its exit status to ctl/NAME.rc, which the driver waits for.
run_request() {
    request=$1
    base=${request%.cmd}
    # /bin/sh by path: busybox's timeout would run its own shell for a bare "sh".
    (cd / && timeout "$COMMAND_TIMEOUT" /bin/sh "$request") >"$base.out.tmp" 2>&1
    status=$?
    mv "$base.out.tmp" "$base.out"
    echo "$status" >"$base.rc.tmp"
    mv "$base.rc.tmp" "$base.rc"
    rm -f "$request"
}

life_expired() {
    now=$(uptime_seconds)
    [ "${now%.*}" -ge "$max_life" ]
}

serve_requests() {
    mkdir -p "$SHARE/ctl"
    until [ -e "$SHARE/stop" ]; do
        for request in "$SHARE"/ctl/*.cmd; do
            [ -f "$request" ] && run_request "$request"
        done
        if life_expired; then
            say "ikelab.maxlife=$max_life s reached, stopping"
            break
        fi
        sleep 0.1
    done
}

# What the driver may want after the fact, taken while the SAs still exist.
write_final_snapshot() {
    mkdir -p "$SHARE/final"
    whack --status >"$SHARE/final/status" 2>&1
    whack --trafficstatus >"$SHARE/final/trafficstatus" 2>&1
    ip xfrm state >"$SHARE/final/xfrm-state" 2>&1
    ip xfrm policy >"$SHARE/final/xfrm-policy" 2>&1
    cat /proc/net/xfrm_stat >"$SHARE/final/xfrm-stat" 2>&1
}

mount_kernel_filesystems
read_kernel_command_line
mount_share
say "booted at $(uptime_seconds) s, kernel $(uname -r)"
rm -f "$SHARE/ready" "$SHARE/failed" "$SHARE/halted" "$SHARE/stop"
load_ipsec_modules
configure_network
start_pluto
publish ready "$(uptime_seconds)"
say "ready at $(uptime_seconds) s"
serve_requests
write_final_snapshot
timeout 10 whack --shutdown >/dev/null 2>&1
publish halted "$(uptime_seconds)"
say "halted at $(uptime_seconds) s"
power_off
