#!/usr/bin/env bash
# Build a Debian bookworm base image for the grading image WITHOUT a container
# registry: debootstrap a minimal root filesystem from the host's own Debian
# mirror and `docker import` it.
#
#   sudo grader/image/build-base.sh duckshop-base:bookworm
#   BASE_IMAGE=duckshop-base:bookworm make image
#
# The mirror is read at run time from the host's apt configuration (never
# written down here); set DEBOOTSTRAP_MIRROR to override it. Does nothing when
# the image already exists. Needs root, debootstrap and a running Docker engine.
set -euo pipefail

NAME=${1:?usage: $0 IMAGE_NAME   (e.g. duckshop-base:bookworm)}
SUITE=bookworm
PACKAGES=python3,python3-venv,postgresql,redis-server,procps,ca-certificates,libpq5

say() { printf 'build-base: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if docker image inspect "$NAME" >/dev/null 2>&1; then
    say "$NAME already exists - nothing to do"
    exit 0
fi
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap needs it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (is dockerd running?)"

# The first enabled 'deb' source for $SUITE in the host's apt configuration.
find_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        # one-line format: deb [options] URI SUITE COMPONENT...
        awk -v suite="$SUITE" '$1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == suite) { print $i; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # deb822 format: stanzas of Types:/URIs:/Suites:/Enabled: fields
        awk -v suite="$SUITE" '
            function flush() {
                if (!done && uris != "" && enabled != "no" &&
                    (" " types " ") ~ / deb / && (" " suites " ") ~ (" " suite " ")) {
                    split(uris, u, " "); print u[1]; done = 1
                }
                types = suites = uris = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            { key = tolower($1); $1 = "" }
            key == "types:"   { types = $0 }
            key == "suites:"  { suites = $0 }
            key == "uris:"    { uris = $0 }
            key == "enabled:" { enabled = tolower($2 == "" ? $0 : $2); gsub(/ /, "", enabled) }
            END { flush() }' "$f"
    done
}

MIRROR=${DEBOOTSTRAP_MIRROR:-$(find_mirror | head -n 1)}
if [ -n "$MIRROR" ]; then
    say "using the host's Debian mirror $MIRROR"
else
    say "no $SUITE source in the host's apt configuration - using debootstrap's default mirror"
fi

ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/duckshop-base.XXXXXX")
cleanup() {
    # debootstrap mounts /proc and /sys inside ROOT; never rm through a mount
    awk -v root="$ROOT/" 'index($2, root) == 1 { print $2 }' /proc/mounts \
        | sort -r | xargs -r -n 1 umount -l 2>/dev/null || true
    rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT

say "debootstrapping $SUITE (minbase + $PACKAGES) into $ROOT ..."
debootstrap --variant=minbase --components=main --include="$PACKAGES" \
    "$SUITE" "$ROOT" ${MIRROR:+"$MIRROR"} >"$ROOT.log" 2>&1 \
    || { tail -n 30 "$ROOT.log" >&2; rm -f "$ROOT.log"; die "debootstrap failed"; }
rm -f "$ROOT.log"

say "trimming the root filesystem ..."
# The grader runs initdb into a temp dir itself: drop the cluster the package made.
rm -rf "${ROOT:?}"/var/lib/postgresql/*/main "${ROOT:?}"/etc/postgresql/*/main
# PostgreSQL's optional LLVM JIT is ~130 MB (libLLVM + libz3); without its
# provider library the server silently runs with JIT unavailable.
rm -rf "${ROOT:?}"/usr/lib/postgresql/*/lib/llvmjit* "${ROOT:?}"/usr/lib/postgresql/*/lib/bitcode \
       "${ROOT:?}"/usr/lib/*-linux-gnu/libLLVM* "${ROOT:?}"/usr/lib/*-linux-gnu/libz3.so*
rm -rf "${ROOT:?}"/var/lib/apt/lists/* "${ROOT:?}"/var/cache/apt/* "${ROOT:?}"/var/cache/debconf/*-old \
       "${ROOT:?}"/usr/share/man/* "${ROOT:?}"/usr/share/info/* "${ROOT:?}"/usr/share/locale/* \
       "${ROOT:?}"/usr/share/lintian "${ROOT:?}"/dev/* "${ROOT:?}"/etc/hostname \
       "${ROOT:?}"/tmp/* "${ROOT:?}"/var/tmp/*
find "$ROOT/usr/share/doc" ! -type d ! -name copyright -delete   # keep the licences
find "$ROOT/usr/share/doc" -type d -empty -delete
find "$ROOT/var/log" -type f -delete
# keep docs out of anything installed later, as the official Debian images do
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/90-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG

say "importing as $NAME ..."
tar --numeric-owner -C "$ROOT" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap --variant=minbase $SUITE + $PACKAGES" \
    - "$NAME" >/dev/null
say "done: $NAME ($(docker image inspect -f '{{.Size}}' "$NAME" | awk '{printf "%.0f MB", $1 / 1e6}'))"
