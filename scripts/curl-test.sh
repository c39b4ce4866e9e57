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
#   --wait-delivery
#             after a SUCCESSFUL answer, poll GET /api/deliveries/{transactionId} every
#             DELIVERY_POLL seconds (default 5) until the text is Delivered or Failed (at
#             most DELIVERY_WAIT seconds, default 120), print the record and its final
#             status; exit 0 only when Delivered.
#             The local outbox never gets a delivery report: there it stays "Sent".
#
# Authentication, from the environment:
#   HOOK_AUTHORIZATION              the whole Authorization header value ("Basic ..." or
#                                   "Bearer ..."), e.g. the hookAuthorization stack output
#   OKTA_USER + OKTA_BASIC_SECRET   otherwise, Basic auth from these
#   (neither, and a local URL)      the `make run` defaults: okta / local-dev-secret
#   HOOK_FUNCTION_KEY               optional, sent as x-functions-key (through a config on
#                                   stdin, like every secret here: never on curl's command line)
#   DELIVERIES_KEY                  --wait-delivery: the deliveries function's key, sent as
#                                   x-functions-key (Azure requires it; locally not needed)
#
# Prints the answer and exits 0 only when its status is SUCCESSFUL. Needs bash, curl and
# python3 (no jq).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
file="$here/../sample/request.json"
phone=""
fresh=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
wait_delivery=0
args=()
for arg in "$@"; do
  case "$arg" in
    --wait-delivery) wait_delivery=1 ;;
    *) args+=("$arg") ;;
  esac
done
set -- ${args[@]+"${args[@]}"}
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

# cfg_header prints a curl config line sending header "$1: $2", with \ and " escaped as
# curl's config syntax wants.
cfg_header() {
  local v="${2//\\/\\\\}"
  printf 'header = "%s: %s"\n' "$1" "${v//\"/\\\"}"
}

# Secrets (the Authorization header, the function key) and the body, which holds a phone
# number and a code, never go on curl's command line, where `ps` shows them: the headers go
# through a config on stdin, the body through a private temporary file.
cfg="$(cfg_header Authorization "$auth")"
if [[ -n "${HOOK_FUNCTION_KEY:-}" ]]; then
  cfg+=$'\n'"$(cfg_header x-functions-key "$HOOK_FUNCTION_KEY")"
fi
out="$(mktemp)"
body_file="$(mktemp)"
trap 'rm -f "$out" "$body_file"' EXIT
printf '%s' "$body" >"$body_file"
status="$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 \
  -H "Content-Type: application/json" -H "Accept: application/json" \
  -K - --data-binary @"$body_file" "$url" <<<"$cfg")" || {
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

[[ "$wait_delivery" == 1 ]] || exit 0

# --wait-delivery: follow the text by its transactionId (the ACS message id) until its
# delivery report arrives. The lookup sits beside the hook: .../api/deliveries/{id}.
txid="$(python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["commands"][0]["value"][0].get("transactionId", ""))
' "$out")"
[[ -n "$txid" ]] || { echo "curl-test: the answer has no transactionId to follow" >&2; exit 1; }
lookup="$(python3 -c '
import sys, urllib.parse as p
u = p.urlsplit(sys.argv[1])
path = u.path.rsplit("/", 1)[0] + "/deliveries/" + p.quote(sys.argv[2], safe="")
print(p.urlunsplit((u.scheme, u.netloc, path, "", "")))
' "$url" "$txid")"

# The key goes through a here-string config, like the Authorization header above.
key_cfg=""
if [[ -n "${DELIVERIES_KEY:-}" ]]; then
  key_cfg="$(cfg_header x-functions-key "$DELIVERIES_KEY")"
fi
wait_s="${DELIVERY_WAIT:-120}"
poll_s="${DELIVERY_POLL:-5}"
[[ "$wait_s" =~ ^[0-9]+$ && "$poll_s" =~ ^[0-9]+$ ]] || {
  echo "curl-test: DELIVERY_WAIT and DELIVERY_POLL must be whole seconds" >&2; exit 2; }
deadline=$((SECONDS + wait_s))
while :; do
  code="$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -H "Accept: application/json" \
    -K - "$lookup" <<<"$key_cfg")" || code="000"
  case "$code" in
    200) state="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["status"])' \
           "$out" 2>/dev/null)" || state="unreadable" ;;
    404) state="not recorded yet" ;;
    401|403)
      echo "curl-test: lookup HTTP $code: set DELIVERIES_KEY to the deliveries function key" >&2
      exit 1 ;;
    *) state="HTTP $code" ;;
  esac
  [[ "$state" == "Delivered" || "$state" == "Failed" ]] && break
  if (( SECONDS >= deadline )); then
    echo "curl-test: $txid still $state after ${wait_s}s: no delivery report" >&2
    exit 1
  fi
  echo "curl-test: $txid is $state; waiting for its delivery report"
  sleep "$poll_s"
done

cat "$out"
echo
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
line = "curl-test: delivery %s, code %s %s" % (
    r["status"], r.get("statusCode", "?"), r.get("statusMeaning", r.get("statusDetails", "")))
if r.get("action"):
    line += " (action: %s)" % r["action"]
print(line)
sys.exit(0 if r["status"] == "Delivered" else 1)
PY
