#!/usr/bin/env bash
# Token exchange against the running demo (`.venv/bin/bridge demo`), with curl only:
#
#   1. a resident (test persona) signs in to the mock Guangdong platform with iAM Smart
#      and binds their account with their 回乡证 number (skipped when already bound);
#   2. the same resident signs in to the demo portal backend `yss-backend-dev`, which
#      redeems the code (PKCE) for an access token and a refresh token;
#   3. the portal exchanges its access token for a Guangdong platform token (RFC 8693)
#      and reads the resident's Guangdong record with it at the platform's `tokeninfo`.
#
# Every step is a plain form or redirect, as a browser would do it, in a cookie jar.
# Progress goes to standard error; standard output is one line setting SUBJECT_TOKEN
# (the portal's access token) and PLATFORM_TOKEN, for the README's curl example:
#   eval "$(scripts/demo-token-exchange.sh)"
# Environment: BRIDGE, IAMSMART, GUANGDONG (base URLs; the demo's by default),
# PERSONA (wong-wing-fung, lau-chi-ming, cheung-ka-yan), PERMIT (its 回乡证 number).
set -euo pipefail

BRIDGE=${BRIDGE:-http://127.0.0.1:8000}
GUANGDONG=${GUANGDONG:-http://127.0.0.1:8002}
PERSONA=${PERSONA:-wong-wing-fung}
PERMIT=${PERMIT:-H12345678}
CLIENT_ID=yss-backend-dev
CLIENT_SECRET=dev-only-yss-backend-secret-CHANGE-ME
REDIRECT_URI=http://127.0.0.1:8003/callback # nothing listens: we read the code from the redirect

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jar=$work/cookies page=$work/page.html
touch "$jar"

say() { printf '\n\033[1m%s\033[0m\n' "$*" >&2; }

# GET or POST ($@ = extra curl arguments) and follow redirects one hop at a time, like a
# browser, stopping before the portal's redirect URI. Sets $last (the final URL).
follow() {
  local url=$1 out code next
  shift
  out=$(curl -sS -b "$jar" -c "$jar" -o "$page" -w '%{http_code} %{redirect_url}' "$@" "$url")
  while :; do
    code=${out%% *} next=${out#* }
    case $code in 30[1237]) ;; *) last=$url; return ;; esac
    case $next in "$REDIRECT_URI"*) last=$next; return ;; esac
    url=$next
    out=$(curl -sS -b "$jar" -c "$jar" -o "$page" -w '%{http_code} %{redirect_url}' "$url")
  done
}

origin() { sed -E 's#^(https?://[^/]+).*#\1#' <<<"$1"; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$page" | head -n 1; }
action() { grep -o 'action="[^"]*"' "$page" | head -n 1 | sed 's/action="\(.*\)"/\1/'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# At the mock iAM Smart QR page: approve as $PERSONA; then allow on the bridge's consent
# page if it is shown (a remembered consent skips it).
approve_and_consent() {
  follow "$(origin "$last")$(action)" -d "persona=$PERSONA&action=approve"
  if grep -q 'name="decision"' "$page"; then
    follow "$(origin "$last")$(action)" -d "decision=allow" --data-urlencode "csrf_token=$(field csrf_token)"
  fi
}

say "1. $PERSONA signs in to the Guangdong platform and binds the account"
follow "$GUANGDONG/login/iamsmart"
approve_and_consent
if grep -q 'name="permit_number"' "$page"; then
  follow "$GUANGDONG/bind" -d "permit_number=$PERMIT" --data-urlencode "csrf_token=$(field csrf_token)"
fi
grep -q 'data-page="profile"' "$page" || { echo "binding failed: see $GUANGDONG/" >&2; exit 1; }

say "2. $PERSONA signs in to the portal backend $CLIENT_ID (code flow with PKCE)"
verifier=$(openssl rand -hex 32)
challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
follow "$BRIDGE/authorize" -G --data-urlencode "client_id=$CLIENT_ID" \
  --data-urlencode "redirect_uri=$REDIRECT_URI" -d response_type=code \
  --data-urlencode "scope=openid profile offline_access" -d "state=$(openssl rand -hex 8)" \
  -d "code_challenge=$challenge" -d code_challenge_method=S256
approve_and_consent
code=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$last")
[ -n "$code" ] || { echo "no authorization code (ended at $last)" >&2; exit 1; }
tokens=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" "$BRIDGE/token" -d grant_type=authorization_code \
  --data-urlencode "code=$code" --data-urlencode "redirect_uri=$REDIRECT_URI" -d "code_verifier=$verifier")
SUBJECT_TOKEN=$(json "['access_token']" <<<"$tokens")
echo "portal access token: ${SUBJECT_TOKEN:0:32}..." >&2

say "3. the portal exchanges it for a Guangdong platform token (RFC 8693)"
exchanged=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" "$BRIDGE/token" \
  -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
  -d subject_token="$SUBJECT_TOKEN" \
  -d subject_token_type=urn:ietf:params:oauth:token-type:access_token \
  -d audience=guangdong-platform)
echo "$exchanged" | python3 -m json.tool >&2
PLATFORM_TOKEN=$(json "['access_token']" <<<"$exchanged")

say "4. the platform token at the platform's tokeninfo"
curl -sS "$GUANGDONG/tif/sso/connect/page/oauth2/tokeninfo?access_token=$PLATFORM_TOKEN" \
  | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), ensure_ascii=False, indent=2))' >&2

# Standard output is only this, for `eval "$(scripts/demo-token-exchange.sh)"`.
printf 'export SUBJECT_TOKEN=%q PLATFORM_TOKEN=%q\n' "$SUBJECT_TOKEN" "$PLATFORM_TOKEN"
