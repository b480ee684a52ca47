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
remote=${MLSTACK_STATE_REMOTE:+-state-remote=$MLSTACK_STATE_REMOTE}

"$MLSTACK" -f "$stack" apply -auto-approve $remote
