#!/bin/sh
# small-disk.sh — runs neurond on a disk that fills up for real: a tmpfs
# of $SMALL_DISK_BYTES mounted over $SMALL_DISK_DIR in a user and mount
# namespace of its own (unshare -rm: no root needed where unprivileged
# user namespaces are allowed), which vanishes with the process. The
# tmpfs hides the folder's files from neurond only; a descriptor opened
# before (the harness's log) keeps writing underneath. exec all the way,
# so the harness's PID is neurond's. Used by tests/api/test_disk_full.c
# as NEUROND_BIN, with the real binary in $SMALL_DISK_BIN.
set -e
exec unshare -rm sh -c 'mount -t tmpfs -o "size=$1" tmpfs "$2" && shift 2 && exec "$@"' \
    sh "$SMALL_DISK_BYTES" "$SMALL_DISK_DIR" "$SMALL_DISK_BIN" "$@"
