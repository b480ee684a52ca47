#!/bin/sh
# plan.sh STACKFILE - what a pull request does to a stack, for its
# comment: writes plan.md (Markdown) and, when planned against AWS,
# plan.bin (the saved plan, for the record) into $MLSTACK_OUT (default .).
#
# With AWS credentials it plans against AWS and the shared state. Without
# them (MLSTACK_OFFLINE=1: a pull request from a fork gets no secrets) it
# diffs the stack file between the pull request's base and its head,
# offline.
#
# Environment:
#   MLSTACK               the mlstack binary (default: mlstack)
#   MLSTACK_STATE_REMOTE  the state's git remote, unless the stack names it
#   MLSTACK_OFFLINE       1: no AWS, an offline diff
#   BASE_REF              the branch the pull request goes into (main)
#   GITHUB_OUTPUT         where "changes=true|false" is written, if set
set -eu

stack=$1
: "${MLSTACK:=mlstack}"
: "${MLSTACK_OUT:=.}"
: "${BASE_REF:=main}"
# the state's remote, for the commands that take it
set --
if [ -n "${MLSTACK_STATE_REMOTE:-}" ]; then
	set -- -state-remote "$MLSTACK_STATE_REMOTE"
fi

status=0
if [ "${MLSTACK_OFFLINE:-0}" = 1 ]; then
	# the shared state, for the values AWS computed (none is fine)
	if [ $# -gt 0 ]; then
		"$MLSTACK" -f "$stack" state pull "$@" >&2 || true
	fi
	"$MLSTACK" -f "$stack" diff -markdown -detailed-exitcode \
		"origin/$BASE_REF...HEAD" >"$MLSTACK_OUT/plan.md" || status=$?
else
	"$MLSTACK" -f "$stack" plan -markdown -detailed-exitcode "$@" \
		-out "$MLSTACK_OUT/plan.bin" >"$MLSTACK_OUT/plan.md" ||
		status=$?
fi
case $status in
0) changes=false ;;
2) changes=true ;;
*)
	echo "plan.sh: mlstack failed (exit $status)" >&2
	exit "$status"
	;;
esac
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	echo "changes=$changes" >>"$GITHUB_OUTPUT"
fi
echo "plan.sh: $stack: changes=$changes" >&2
