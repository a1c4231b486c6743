#!/usr/bin/env bash
# Cluster in a box: several "hosts" on one machine, each a network namespace with its own stack and address, joined
# by a bridge that lives in a namespace of its own, each host's link rate-limited with tbf in both directions. The
# machine's own interfaces, routes and firewall are never touched: every device, address and route lives inside the
# namespaces this script creates, and `down` deletes exactly those (by their prefix) and nothing else.
#
#   cluster-in-a-box.sh up --hosts N [--link-mbit M] [--name NAME]   # hosts h1..hN and coord; prints one "HOST ADDRESS" line each
#   cluster-in-a-box.sh exec [--name NAME] HOST -- CMD...             # runs CMD inside HOST (h1..hN or coord)
#   cluster-in-a-box.sh addr [--name NAME] HOST                       # HOST's address
#   cluster-in-a-box.sh hosts [--name NAME]                           # "HOST ADDRESS" per host
#   cluster-in-a-box.sh cut [--name NAME] HOST | heal [--name NAME] HOST   # partition HOST (alive, unreachable) / reconnect it
#   cluster-in-a-box.sh rate [--name NAME] HOST MBIT                  # change HOST's link rate (both directions)
#   cluster-in-a-box.sh down [--name NAME]                            # stop processes in the namespaces, delete them; idempotent
#
# NAME (default "box", letters, digits and '-', at most 12 characters) prefixes every namespace (cib-NAME-h1, ...) so
# parallel runs do not collide. Hosts get 10.77.0.(10+i)/16, the coordinator 10.77.0.2: a private subnet that exists only
# inside these namespaces (each box is its own L2 segment, so two boxes may use the same addresses). Needs root.
set -euo pipefail

SUBNET_PREFIX=10.77.0
MAX_HOSTS=200

die() { echo "cluster-in-a-box: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, veth pairs and tc); run it with sudo"
command -v ip >/dev/null && command -v tc >/dev/null || die "needs iproute2 (ip, tc): apt-get install iproute2"

name=box
parse_name() {
    # Consumes a leading "--name NAME" from the arguments of a subcommand; the rest stays in $rest.
    rest=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --name) [ $# -ge 2 ] || die "--name needs a value"; name="$2"; shift 2 ;;
            *) rest+=("$1"); shift ;;
        esac
    done
}
check_name() {
    [[ "$name" =~ ^[A-Za-z0-9-]{1,12}$ ]] || die "--name '$name' must be 1-12 letters, digits or '-'"
}

ns_of() { # HOST -> namespace name
    case "$1" in
        coord|coordinator) echo "cib-$name-coord" ;;
        h[0-9]*) echo "cib-$name-$1" ;;
        *) die "unknown host '$1': use coord or h1..hN (see '$0 hosts --name $name')" ;;
    esac
}
bridge_ns() { echo "cib-$name-br"; }
port_of() { case "$1" in coord|coordinator) echo "p-coord" ;; *) echo "p-$1" ;; esac; }
addr_of() {
    case "$1" in
        coord|coordinator) echo "$SUBNET_PREFIX.2" ;;
        h[0-9]*) echo "$SUBNET_PREFIX.$(( 10 + ${1#h} ))" ;;
    esac
}
exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
require_host() {
    local ns; ns="$(ns_of "$1")"
    exists "$ns" || die "no host '$1' in box '$name' (namespace $ns missing): run '$0 up --name $name' first"
}

# tbf on DEV in NS at MBIT: burst of ~10 ms of traffic (at least 64 KiB, so a GSO segment always fits), queue of 20 ms.
shape() {
    local ns="$1" dev="$2" mbit="$3"
    local burst=$(( mbit * 1000000 / 8 / 100 ))
    [ "$burst" -ge 65536 ] || burst=65536
    ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "${mbit}mbit" burst "$burst" latency 20ms
}

our_namespaces() { ip netns list | awk '{print $1}' | grep -E "^cib-$name-(br|coord|h[0-9]+)$" || true; }

cmd_down() {
    check_name
    local ns pids
    for ns in $(our_namespaces); do
        # Processes started inside our namespaces (by `exec`) would keep them alive after the delete.
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    done
    for ns in $(our_namespaces); do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            pids="$(ip netns pids "$ns" 2>/dev/null || true)"
            [ -z "$pids" ] && break
            sleep 0.3
        done
        for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "/run/cluster-in-a-box/$name"
}

cmd_up() {
    local hosts="" mbit=1000
    while [ $# -gt 0 ]; do
        case "$1" in
            --hosts) hosts="${2:-}"; shift 2 || die "--hosts needs a value" ;;
            --link-mbit) mbit="${2:-}"; shift 2 || die "--link-mbit needs a value" ;;
            *) die "up: unknown argument '$1' (expected --hosts N [--link-mbit M] [--name NAME])" ;;
        esac
    done
    check_name
    [[ "$hosts" =~ ^[0-9]+$ ]] && [ "$hosts" -ge 1 ] && [ "$hosts" -le $MAX_HOSTS ] || die "--hosts must be 1..$MAX_HOSTS (got '${hosts}')"
    [[ "$mbit" =~ ^[0-9]+$ ]] && [ "$mbit" -ge 1 ] || die "--link-mbit must be a positive whole number of Mbit/s (got '$mbit')"
    [ -z "$(our_namespaces)" ] || die "box '$name' is already up: '$0 down --name $name' first, or pick another --name"

    # A failed up removes what it made.
    trap 'status=$?; if [ $status -ne 0 ]; then cmd_down; echo "cluster-in-a-box: up failed, cleaned up box $name" >&2; fi' EXIT

    local br; br="$(bridge_ns)"
    mkdir -p "/run/cluster-in-a-box/$name"
    ip netns add "$br"
    ip -n "$br" link set lo up
    ip -n "$br" link add br0 type bridge
    ip -n "$br" link set br0 up

    local all=(coord) h
    for ((i = 1; i <= hosts; i++)); do all+=("h$i"); done
    for h in "${all[@]}"; do
        local ns port addr
        ns="$(ns_of "$h")"; port="$(port_of "$h")"; addr="$(addr_of "$h")"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$br" link add "$port" type veth peer name eth0 netns "$ns"
        ip -n "$br" link set "$port" master br0 up
        ip -n "$ns" addr add "$addr/16" dev eth0
        ip -n "$ns" link set eth0 up
        shape "$ns" eth0 "$mbit"      # the host's sends
        shape "$br" "$port" "$mbit"   # what the host receives
        echo "$h $addr"
    done
    echo "$hosts $mbit" > "/run/cluster-in-a-box/$name/box"
    trap - EXIT
}

cmd_hosts() {
    check_name
    [ -f "/run/cluster-in-a-box/$name/box" ] || die "box '$name' is not up"
    local hosts; read -r hosts _ < "/run/cluster-in-a-box/$name/box"
    echo "coord $(addr_of coord)"
    for ((i = 1; i <= hosts; i++)); do echo "h$i $(addr_of "h$i")"; done
}

# A cut host stays up with its address and processes, but its bridge port drops every frame both ways, as when a
# switch port or cable fails: its peers see silence, not a reset.
cmd_cut() {
    [ $# -eq 1 ] || die "cut: expected HOST"
    check_name; require_host "$1"
    bridge -n "$(bridge_ns)" link set dev "$(port_of "$1")" state 0
}

cmd_heal() {
    [ $# -eq 1 ] || die "heal: expected HOST"
    check_name; require_host "$1"
    bridge -n "$(bridge_ns)" link set dev "$(port_of "$1")" state 3
}

cmd_rate() {
    [ $# -eq 2 ] || die "rate: expected HOST MBIT"
    check_name; require_host "$1"
    [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] || die "rate: MBIT must be a positive whole number (got '$2')"
    shape "$(ns_of "$1")" eth0 "$2"
    shape "$(bridge_ns)" "$(port_of "$1")" "$2"
}

cmd_exec() {
    [ $# -ge 3 ] && [ "$2" = "--" ] || die "exec: expected HOST -- CMD..."
    check_name; require_host "$1"
    local ns; ns="$(ns_of "$1")"
    shift 2
    exec ip netns exec "$ns" "$@"
}

[ $# -ge 1 ] || die "expected a command: up, exec, addr, hosts, cut, heal, rate, down (see the top of $0)"
command="$1"; shift
case "$command" in
    exec)
        # Only options before the host belong to us; everything after "--" is the command's.
        while [ $# -gt 0 ] && [ "$1" = "--name" ]; do name="${2:-}"; shift 2 || die "--name needs a value"; done
        cmd_exec "$@" ;;
    up|down|hosts|cut|heal|rate|addr)
        parse_name "$@"; set -- ${rest[@]+"${rest[@]}"}
        case "$command" in
            up) cmd_up "$@" ;;
            down) [ $# -eq 0 ] || die "down: unexpected '$1'"; cmd_down ;;
            hosts) cmd_hosts ;;
            addr) [ $# -eq 1 ] || die "addr: expected HOST"; check_name; ns_of "$1" >/dev/null; addr_of "$1" ;;
            cut) cmd_cut "$@" ;;
            heal) cmd_heal "$@" ;;
            rate) cmd_rate "$@" ;;
        esac ;;
    *) die "unknown command '$command': use up, exec, addr, hosts, cut, heal, rate or down" ;;
esac
