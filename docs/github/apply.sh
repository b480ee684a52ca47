#!/bin/sh
# apply.sh STACKFILE - apply a merged stack: the state is pulled and
# locked on its git remote first, and the new state pushed and unlocked
# last, so that two merges in a row apply one after the other.
#
# Environment:
#   MLSTACK               the mlstack binary (default: mlstack)
#   MLSTACK_STATE_REMOTE  the state's git remote, unless the stack names it
set -eu

stack=$1
: "${MLSTACK:=mlstack}"
set --
if [ -n "${MLSTACK_STATE_REMOTE:-}" ]; then
	set -- -state-remote "$MLSTACK_STATE_REMOTE"
fi

# a lock held by another apply is waited for, not fought
"$MLSTACK" -f "$stack" apply -auto-approve -lock-timeout 10m "$@"
