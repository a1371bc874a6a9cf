# egress-probe: one check of a CloudRunEgressJob's egress diagnosis (POSIX sh + curl).
#
# The operator runs it as `sh -c <this script> egress-probe CHECK...` in the Cloud Run Job
# <job>-egress-probe, one task per check: CLOUD_RUN_TASK_INDEX picks the check (0 = the first).
# The task has the job's egress settings, service account and proxy variables, so it meets the
# network as the job does.
#
# Checks:
#   metadata               a token request to the metadata server, with the job's proxy variables
#   dest:HOST:PORT         a connection to HOST:PORT (TLS on port 443), bypassing proxies: the
#                          network path itself (connector or Direct VPC, firewall, routes, NAT)
#   egress-ip:IPS:URL      URL answers with the caller's IP, which must be one of IPS (comma
#                          separated, the NAT's IPs): public traffic leaves through Cloud NAT
#
# Environment: PROBE_TIMEOUT seconds per request (default 10); METADATA_HOSTS the metadata hosts,
# each of which must answer (default "metadata.google.internal 169.254.169.254").
#
# Exit codes (the operator reads them through the Run API and reports them in status):
#    0  the check passed
#    2  bad arguments: no check for this task index, an unknown check, or no curl in the image
#   10  a proxy answered instead of the metadata server: the proxy variables apply to the metadata
#       host, and without them the metadata server answers. Add
#       metadata.google.internal,169.254.169.254 to NO_PROXY and no_proxy
#   11  the metadata server did not answer, with or without the proxy variables
#   12  the metadata server answered but gave no token: check the job's service account
#   20  DNS failure: the name does not resolve
#   21  connect timeout: the packets were dropped (firewall rule, no Cloud NAT, no route)
#   22  connection refused, or no route to the host
#   23  TLS failure on port 443 (handshake, or a certificate a TLS-inspecting middlebox replaced)
#   30  public traffic left from an IP that is not one of the NAT's IPs: it bypassed Cloud NAT

timeout="${PROBE_TIMEOUT:-10}"
index="${CLOUD_RUN_TASK_INDEX:-0}"

if ! command -v curl >/dev/null 2>&1; then
  echo "egress-probe: curl is not in the image; use one with sh and curl (docker.io/curlimages/curl)" >&2
  exit 2
fi

# Client libraries honour the upper-case variables that curl ignores for http:// URLs: so must we.
if [ -n "${HTTP_PROXY:-}" ] && [ -z "${http_proxy:-}" ]; then export http_proxy="$HTTP_PROXY"; fi
if [ -n "${ALL_PROXY:-}" ] && [ -z "${all_proxy:-}" ]; then export all_proxy="$ALL_PROXY"; fi
if [ -n "${NO_PROXY:-}" ] && [ -z "${no_proxy:-}" ]; then export no_proxy="$NO_PROXY"; fi

# Asks a metadata host for a token. Prints "metadata STATUS" when the metadata server answered
# (it always sends Metadata-Flavor: Google), "other STATUS" when something else did (a proxy),
# or "error CURL_EXIT_CODE". Extra arguments go to curl.
ask_metadata() {
  host="$1"
  shift
  headers="${TMPDIR:-/tmp}/egress-probe-headers.$$"
  status=$(curl -sS -o /dev/null -D "$headers" -w '%{http_code}' --max-time "$timeout" \
    -H 'Metadata-Flavor: Google' "$@" "http://$host/computeMetadata/v1/instance/service-accounts/default/token")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "error $rc"
  elif tr -d '\r' <"$headers" | grep -qi '^metadata-flavor: *google *$'; then
    echo "metadata $status"
  else
    echo "other $status"
  fi
  rm -f "$headers"
}

check_metadata() {
  for host in ${METADATA_HOSTS:-metadata.google.internal 169.254.169.254}; do
    answer=$(ask_metadata "$host")
    case "$answer" in
      "metadata 200") continue ;;
      "metadata "*)
        echo "egress-probe: the metadata server at $host answered HTTP ${answer#metadata } instead of a token: check the job's service account" >&2
        return 12 ;;
    esac
    # Something else answered, or nothing did: is a proxy in the way? Ask again without proxies.
    if [ "$(ask_metadata "$host" --noproxy '*')" = "metadata 200" ]; then
      echo "egress-probe: a proxy answered for $host ($answer) where the metadata server answers without the proxy variables: add metadata.google.internal,169.254.169.254 to NO_PROXY and no_proxy" >&2
      return 10
    fi
    if [ "$answer" = "error 6" ]; then
      echo "egress-probe: $host does not resolve" >&2
      return 20
    fi
    echo "egress-probe: the metadata server at $host did not answer ($answer)" >&2
    return 11
  done
  return 0
}

# Maps a failed curl (exit code, time_connect) to the probe's exit codes.
connection_failure() {
  case "$1" in
    6) return 20 ;;
    7) return 22 ;;
    28)
      # A timeout before the TCP handshake completed (time_connect 0) means dropped packets.
      if [ -z "$(printf '%s' "$2" | tr -d '0.')" ]; then return 21; fi
      return 0 ;;
    35|51|53|54|58|59|60|64|66|77|80|82|83|90|91) return 23 ;;
    # Connected, and the server spoke something else than HTTP (SSH, a database): the path works.
    *) return 0 ;;
  esac
}

check_destination() {
  target="${1#dest:}"
  host="${target%:*}"
  port="${target##*:}"
  insecure=""
  if [ "$port" = 443 ]; then
    url="https://$host/"
    # An IP literal has no certificate to match: check the handshake only.
    case "$host" in *[!0-9.]*) ;; *) insecure="-k" ;; esac
  else
    url="http://$host:$port/"
  fi
  connected=$(curl --noproxy '*' $insecure -sS -o /dev/null -w '%{time_connect}' \
    --connect-timeout "$timeout" --max-time "$((timeout * 2))" "$url")
  rc=$?
  if [ "$rc" -eq 0 ]; then return 0; fi
  connection_failure "$rc" "$connected"
}

check_egress_ip() {
  rest="${1#egress-ip:}"
  expected="${rest%%:*}"
  url="${rest#*:}"
  seen=$(curl --noproxy '*' -sS --connect-timeout "$timeout" --max-time "$((timeout * 2))" "$url")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    connection_failure "$rc" ""
    code=$?
    if [ "$code" -eq 0 ]; then code=22; fi
    return "$code"
  fi
  seen=$(printf '%s' "$seen" | tr -d ' \r\n')
  case ",$expected," in
    *",$seen,"*) return 0 ;;
  esac
  echo "egress-probe: public traffic left from $seen, not from the NAT IPs $expected" >&2
  return 30
}

if [ "$#" -le "$index" ]; then
  echo "egress-probe: no check for task index $index ($# checks given)" >&2
  exit 2
fi
shift "$index"
check="$1"
case "$check" in
  metadata) check_metadata ;;
  dest:*:*) check_destination "$check" ;;
  egress-ip:*:*) check_egress_ip "$check" ;;
  *)
    echo "egress-probe: unknown check '$check'" >&2
    exit 2 ;;
esac
code=$?
echo "egress-probe: check $check exited $code"
exit "$code"
