#!/bin/sh
# comment.sh FILE - post FILE (Markdown) as the pull request's mlstack
# comment, or update the one an earlier run posted, so that a pull request
# carries one comment per stack whatever the number of pushes.
#
# Environment (GitHub Actions sets the first three):
#   GITHUB_API_URL     https://api.github.com
#   GITHUB_REPOSITORY  owner/name
#   GITHUB_TOKEN       a token allowed to write pull-request comments
#   PR_NUMBER          the pull request
#   MLSTACK_STACK      the stack's name: the comment's marker
set -eu

file=$1
: "${GITHUB_API_URL:=https://api.github.com}"
: "${GITHUB_REPOSITORY:?owner/name of the repository}"
: "${GITHUB_TOKEN:?a token that may write comments}"
: "${PR_NUMBER:?the number of the pull request}"
: "${MLSTACK_STACK:?the name of the stack}"

marker="<!-- mlstack: $MLSTACK_STACK -->"
issue="$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

api() {
	# api METHOD URL [BODYFILE]: the answer's body on stdout; fails on
	# an HTTP error, saying which
	method=$1 url=$2
	shift 2
	code=$(curl -sS -o "$tmp/answer" -w '%{http_code}' -X "$method" \
		-H "Authorization: Bearer $GITHUB_TOKEN" \
		-H "Accept: application/vnd.github+json" \
		-H "X-GitHub-Api-Version: 2022-11-28" \
		${1:+-H "Content-Type: application/json" --data-binary "@$1"} \
		"$url")
	case $code in
	2??) cat "$tmp/answer" ;;
	*)
		echo "comment.sh: $method $url: HTTP $code" >&2
		return 1
		;;
	esac
}

# the body: the marker, then the file (already within a comment's size)
{ printf '%s\n' "$marker"; cat "$file"; } | jq -Rs '{body: .}' >"$tmp/body"

# an earlier comment of this stack, looked for page by page
id=''
page=1
while :; do
	api GET "$issue/comments?per_page=100&page=$page" >"$tmp/page"
	id=$(jq -r --arg m "$marker" \
		'[.[] | select(.body | startswith($m))][0].id // empty' \
		"$tmp/page")
	[ -n "$id" ] && break
	[ "$(jq length "$tmp/page")" -lt 100 ] && break
	page=$((page + 1))
done

if [ -n "$id" ]; then
	api PATCH "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY/issues/comments/$id" \
		"$tmp/body" >/dev/null
	echo "comment.sh: updated comment $id"
else
	api POST "$issue/comments" "$tmp/body" >"$tmp/new"
	echo "comment.sh: posted comment $(jq -r .id "$tmp/new")"
fi
