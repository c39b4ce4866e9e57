#!/usr/bin/env bash
# Posts an Okta-shaped telephony hook request to the hook and checks the answer.
#
#   scripts/curl-test.sh [options] [URL]
#
# URL defaults to the local `make run` server, http://127.0.0.1:7071/api/telephony. For a
# deployed app use https://<app>.azurewebsites.net/api/telephony.
#
# Options:
#   -f FILE   the request to post (default: sample/request.json)
#   -p PHONE  send to this number instead of the sample's (E.164, e.g. +15555551212)
#   -k        keep the sample's eventId; by default each run gets a fresh one, since the hook
#             answers a repeated eventId from memory without sending
#   -h        this help
#
# Authentication, from the environment:
#   HOOK_AUTHORIZATION              the whole Authorization header value ("Basic ..." or
#                                   "Bearer ..."), e.g. the hookAuthorization stack output
#   OKTA_USER + OKTA_BASIC_SECRET   otherwise, Basic auth from these
#   (neither, and a local URL)      the `make run` defaults: okta / local-dev-secret
#   HOOK_FUNCTION_KEY               optional, sent as x-functions-key
#
# Prints the answer and exits 0 only when its status is SUCCESSFUL. Needs bash, curl and
# python3 (no jq).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
file="$here/../sample/request.json"
phone=""
fresh=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while getopts "f:p:kh" opt; do
  case "$opt" in
    f) file="$OPTARG" ;;
    p) phone="$OPTARG" ;;
    k) fresh=0 ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
url="${1:-http://127.0.0.1:7071/api/telephony}"

[[ -r "$file" ]] || { echo "curl-test: cannot read $file" >&2; exit 2; }
command -v python3 >/dev/null || { echo "curl-test: python3 is required" >&2; exit 2; }

# The Authorization header, never echoed.
auth="${HOOK_AUTHORIZATION:-}"
if [[ -z "$auth" && -n "${OKTA_USER:-}" && -n "${OKTA_BASIC_SECRET:-}" ]]; then
  auth="Basic $(printf '%s:%s' "$OKTA_USER" "$OKTA_BASIC_SECRET" | base64 | tr -d '\n')"
fi
if [[ -z "$auth" ]]; then
  case "$url" in
    http://127.0.0.1[:/]*|http://localhost[:/]*|http://\[::1\][:/]*)
      auth="Basic $(printf '%s' 'okta:local-dev-secret' | base64 | tr -d '\n')" ;;
    *)
      echo "curl-test: set HOOK_AUTHORIZATION, or OKTA_USER and OKTA_BASIC_SECRET, for $url" >&2
      exit 2 ;;
  esac
fi

# The request body: the sample, with a fresh eventId and the phone override applied.
body="$(FRESH="$fresh" PHONE="$phone" python3 -c '
import json, os, sys, uuid
r = json.load(open(sys.argv[1]))
if os.environ["FRESH"] == "1":
    r["eventId"] = "curl-test-" + uuid.uuid4().hex
if os.environ["PHONE"]:
    r.setdefault("data", {}).setdefault("messageProfile", {})["phoneNumber"] = os.environ["PHONE"]
print(json.dumps(r))
' "$file")"

headers=(-H "Content-Type: application/json" -H "Accept: application/json")
if [[ -n "${HOOK_FUNCTION_KEY:-}" ]]; then
  headers+=(-H "x-functions-key: ${HOOK_FUNCTION_KEY}")
fi

# The header goes through a here-string config so it never shows in `ps`.
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status="$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 "${headers[@]}" \
  -K - --data-binary "$body" "$url" <<<"header = \"Authorization: ${auth}\"")" || {
  echo "curl-test: request to $url failed" >&2
  exit 1
}

echo "HTTP $status"
cat "$out"
echo

python3 - "$out" "$status" <<'PY'
import json, sys
path, status = sys.argv[1], sys.argv[2]
try:
    answer = json.load(open(path))
except ValueError:
    sys.exit("curl-test: the answer is not JSON")
if status != "200":
    sys.exit("curl-test: HTTP %s, want 200" % status)
if "error" in answer:
    sys.exit("curl-test: error answer: %s" % answer["error"].get("errorSummary", ""))
try:
    action = answer["commands"][0]["value"][0]
except (KeyError, IndexError, TypeError):
    sys.exit("curl-test: the answer is not a telephony action")
if action.get("status") != "SUCCESSFUL":
    sys.exit("curl-test: status %s, want SUCCESSFUL" % action.get("status"))
print("curl-test: SUCCESSFUL, transactionId %s" % action.get("transactionId", ""))
PY
