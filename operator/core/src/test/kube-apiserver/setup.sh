#!/bin/bash
# Builds the real Kubernetes API server of the test tier: kube-test-apiserver (upstream
# k8s.io/apiextensions-apiserver plus Namespaces, Events, Leases, self-subject reviews and the
# ValidatingAdmissionPolicy plugin; sources in go/ beside this script) and etcd, from Debian sid's
# packages. It starts nothing: the tests start etcd and the server themselves (command lines below).
#
#   setup.sh CACHE_DIR
#
# Needs: a Debian machine with bash, apt-get, dpkg, openssl, sha256sum, flock, and root plus
# access to a Debian mirror for the first run (or after REFRESH=1). Nothing is installed on the
# host: a private APT configuration (host sources, pins and dpkg state are ignored) downloads
# golang-k8s-apiextensions-apiserver-dev, golang-1.26-go (or the newest golang-1.NN-go if sid has
# dropped 1.26), etcd-server, etcd-client and kubectl with their dependencies, `dpkg -x` unpacks the
# Go sources, one Go toolchain, etcd and kubectl into CACHE_DIR/root, and the server is built in
# GOPATH mode with GOPROXY=off (no module download, no network).
#
# Environment: APT_ARCHIVES=/dir  a .deb cache to use instead of CACHE_DIR/apt/archives
#              REFRESH=1          re-resolve and re-download the packages (default: keep what is unpacked)
#              GO_VERSION=1.26    MIRROR=http://deb.debian.org/debian   SUITE=sid
#              GOCACHE=/dir       Go build cache (default CACHE_DIR/gocache; kept between runs)
#
# Cached: the stamp CACHE_DIR/stamp records the hash of this script and of go/*.go. If it matches,
# the script exits at once without touching the network; if only the sources changed, only the
# `go build` step runs again (warm Go build cache). Any failure exits non-zero with the end of the
# step's log (CACHE_DIR/logs/*.log): the test tier must fail, not skip.
#
# Produces in CACHE_DIR:
#   bin/kube-test-apiserver  bin/etcd  bin/etcdctl  bin/kubectl
#   pki/ca.crt               CA of the server certificate and of the client certificates
#   pki/server.crt,.key      serving certificate for 127.0.0.1 and localhost
#   pki/admin.crt,.key       client certificate CN=admin, O=system:masters (may do everything)
#   pki/tokens.csv           for --token-auth-file: the bearer token in pki/admin.token, same rights
#   versions.txt             package versions unpacked (Go, k8s.io/* sources, etcd, kubectl)
#
# Starting (all on 127.0.0.1; E, E+1, E+2 and A are free ports; D a fresh directory):
#
#   CACHE_DIR/bin/etcd --name kube-test --data-dir D/etcd \
#     --listen-client-urls http://127.0.0.1:E --advertise-client-urls http://127.0.0.1:E \
#     --listen-peer-urls http://127.0.0.1:E+1 --initial-advertise-peer-urls http://127.0.0.1:E+1 \
#     --initial-cluster kube-test=http://127.0.0.1:E+1 --listen-metrics-urls http://127.0.0.1:E+2
#   (healthy when `etcdctl --endpoints=http://127.0.0.1:E endpoint health` succeeds, or
#    GET http://127.0.0.1:E/health returns {"health":"true",...})
#
#   CACHE_DIR/bin/kube-test-apiserver --etcd-servers=http://127.0.0.1:E \
#     --bind-address=127.0.0.1 --secure-port=A \
#     --tls-cert-file=CACHE_DIR/pki/server.crt --tls-private-key-file=CACHE_DIR/pki/server.key \
#     --client-ca-file=CACHE_DIR/pki/ca.crt --token-auth-file=CACHE_DIR/pki/tokens.csv \
#     [--vap-dir=DIR --vap-report=FILE]   ValidatingAdmissionPolicy(+Binding) YAML files, see go/vap.go
#     [--namespace-lifecycle=false]        allow objects in namespaces that do not exist
#     [--event-ttl=1h]                     how long Events are kept
#   (ready when GET https://127.0.0.1:A/readyz returns "ok": no credentials needed, CA pki/ca.crt;
#    at that point default, kube-system, kube-public and kube-node-lease exist.)
#   Clients: server https://127.0.0.1:A, CA pki/ca.crt, and either the client certificate
#   pki/admin.crt + pki/admin.key or the bearer token in pki/admin.token. Stop the server then etcd
#   with SIGTERM (by PID); a fresh etcd data directory gives an empty cluster.
#
# No network at run time, no Services, no RBAC (everybody authenticated as system:masters may do
# everything), no controllers besides the CRD ones (no namespace controller, no garbage collector).
#
#   CACHE_DIR/bin/kube-test-apiserver crd-cost CRD.yaml...   (no server needed) prints per CRD
#   schema, as JSON lines, the estimated CEL cost of every x-kubernetes-validations rule and the
#   totals as the API server computes them on create, with its create-time errors; see go/crdcost.go.
set -Eeuo pipefail

[ $# -eq 1 ] || { echo "usage: $0 CACHE_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
C=$(realpath -m "$1")
GO_VERSION=${GO_VERSION:-1.26}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SUITE=${SUITE:-sid}
APT_ARCHIVES=$(realpath -m "${APT_ARCHIVES:-$C/apt/archives}")
export GOCACHE=${GOCACHE:-$C/gocache}
T0=$(date +%s)
log() { echo "[kube-apiserver setup +$(( $(date +%s) - T0 ))s] $*" >&2; }
die() { echo "kube-apiserver setup FAILED: $*" >&2; exit 1; }

# Every failing command ends the script (set -e, also inside functions); the ERR trap names it
# and, inside a step, the EXIT trap shows the end of that step's log.
STEP=""
trap '[ -n "$STEP" ] || echo "kube-apiserver setup: command failed (line $LINENO): $BASH_COMMAND" >&2' ERR
trap 'rc=$?; if [ $rc -ne 0 ] && [ -n "$STEP" ]; then
        echo "---- last lines of $C/logs/$STEP.log ----" >&2; tail -40 "$C/logs/$STEP.log" >&2
        echo "kube-apiserver setup FAILED in step $STEP (log: $C/logs/$STEP.log)" >&2; fi' EXIT
# run NAME CMD...: one step, its output in logs/NAME.log
run() {
  STEP=$1; shift
  "$@" > "$C/logs/$STEP.log" 2>&1
  STEP=""
}

for tool in sha256sum flock realpath; do command -v $tool >/dev/null || die "missing host tool: $tool"; done
mkdir -p "$C/logs" "$C/bin" "$C/pki"
# One setup at a time per cache (test forks may call this concurrently).
exec 9> "$C/.lock"
flock 9

SOURCE_HASH=$(cd "$HERE" && { sha256sum setup.sh; find go -maxdepth 1 -name '*.go' -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -d' ' -f1)
up_to_date() {
  [ "$(cat "$C/stamp" 2>/dev/null)" = "$SOURCE_HASH" ] || return 1
  local f
  for f in bin/kube-test-apiserver bin/etcd bin/etcdctl bin/kubectl pki/ca.crt pki/server.crt pki/server.key \
           pki/admin.crt pki/admin.key pki/tokens.csv pki/admin.token versions.txt; do
    [ -s "$C/$f" ] || return 1
  done
}
if up_to_date; then
  log "up to date ($C)"
  exit 0
fi

# ---- 1. packages: resolve, download, unpack (skipped while an unpacked tree is there) ----
ROOT=$C/root
if [ "${REFRESH:-0}" = 1 ] || [ ! -f "$ROOT/.complete" ]; then
  [ "$(id -u)" = 0 ] || die "the first run (and REFRESH=1) needs root: apt-get downloads the packages"
  for tool in apt-get apt-cache dpkg dpkg-deb; do command -v $tool >/dev/null || die "missing host tool: $tool"; done
  A=$C/apt
  mkdir -p "$A/lists/partial" "$A/cache" "$A/log" "$A/parts.d" "$APT_ARCHIVES/partial"
  : > "$A/status" # empty dpkg status: the whole dependency closure is resolved, whatever the host has
  : > "$A/preferences"
  echo "deb $MIRROR $SUITE main" > "$A/sources.list"
  ARCH=$(dpkg --print-architecture)
  cat > "$A/apt.conf" <<CONF
Dir::Etc::sourcelist "$A/sources.list";
Dir::Etc::sourceparts "$A/parts.d";
Dir::Etc::preferences "$A/preferences";
Dir::Etc::preferencesparts "$A/parts.d";
Dir::State "$A";
Dir::State::Lists "$A/lists";
Dir::State::status "$A/status";
Dir::Cache "$A/cache";
Dir::Cache::archives "$APT_ARCHIVES";
Dir::Log "$A/log";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
CONF
  export APT_CONFIG=$A/apt.conf
  log "apt-get update ($MIRROR $SUITE)"
  run apt-update apt-get -q update
  if ! apt-cache show --no-all-versions "golang-$GO_VERSION-go" > /dev/null 2>&1; then
    newest=$(apt-cache pkgnames golang-1. | grep -E '^golang-1\.[0-9]+-go$' | sort -V | tail -1 | sed 's/^golang-//; s/-go$//')
    [ -n "$newest" ] || die "no golang-1.NN-go package in $SUITE"
    log "WARNING: golang-$GO_VERSION-go is not in $SUITE any more; using golang-$newest-go"
    GO_VERSION=$newest
  fi
  PKGS="golang-k8s-apiextensions-apiserver-dev golang-$GO_VERSION-go etcd-server etcd-client kubectl"
  log "downloading $PKGS and their dependencies into $APT_ARCHIVES"
  run apt-download apt-get -q -y --download-only install $PKGS
  # the resolved closure as .deb file names ("Inst name (version suite [arch])" -> name_version_arch.deb)
  apt-get -s -q install $PKGS 2> "$C/logs/apt-resolve.log" \
    | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([a-z0-9-]*\)\]).*/\1_\2_\3.deb/p' | sed 's/:/%3a/g' | sort > "$A/closure.txt"
  [ -s "$A/closure.txt" ] || die "could not resolve the packages (see $C/logs/apt-resolve.log)"
  while read -r deb; do [ -f "$APT_ARCHIVES/$deb" ] || die "downloaded package missing: $APT_ARCHIVES/$deb"; done < "$A/closure.txt"
  # only what the build and the tests use: Go library sources, one Go toolchain, etcd, kubectl
  grep -E "^(golang-.*-dev|golang-$GO_VERSION-go|golang-$GO_VERSION-src|etcd-server|etcd-client|kubectl)_" "$A/closure.txt" > "$A/unpack.txt"
  log "unpacking $(wc -l < "$A/unpack.txt") of $(wc -l < "$A/closure.txt") packages into $ROOT"
  rm -rf "$ROOT" "$C/gopath" "$C/tools"
  mkdir -p "$ROOT"
  unpack() {
    local deb target
    while read -r deb; do dpkg -x "$APT_ARCHIVES/$deb" "$ROOT"; done < "$A/unpack.txt"
    # absolute symlinks point into the host's /usr: re-root those whose target was unpacked
    find "$ROOT" -type l -lname '/*' | while read -r link; do
      target=$(readlink "$link")
      if [ -e "$ROOT$target" ]; then ln -sfn "$ROOT$target" "$link"; fi
    done
  }
  run unpack unpack
  awk -F_ '{v=$2; gsub(/%3a/, ":", v); print $1, v}' "$A/unpack.txt" > "$C/versions.txt"
  echo "$GO_VERSION" > "$ROOT/.go-version"
  cp "$A/unpack.txt" "$ROOT/.complete"
else
  log "using the unpacked packages in $ROOT (REFRESH=1 to re-download)"
fi
GO_VERSION=$(cat "$ROOT/.go-version")
GOROOT=$ROOT/usr/lib/go-$GO_VERSION
[ -x "$GOROOT/bin/go" ] || die "Go toolchain missing: $GOROOT/bin/go"
for f in etcd etcdctl kubectl; do
  [ -x "$ROOT/usr/bin/$f" ] || die "$f missing from the unpacked packages"
  ln -sfn "../root/usr/bin/$f" "$C/bin/$f"
done

# ---- 2. build (GOPATH mode, offline) ----
export GOROOT PATH=$GOROOT/bin:$PATH GOPATH=$C/gopath:$ROOT/usr/share/gocode
export GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local GOFLAGS= GOENV=off CGO_ENABLED=0 GOTELEMETRY=off
SRC=$C/gopath/src/kubetestapiserver
mkdir -p "$SRC/generated/openapi" "$C/tools"
rm -f "$SRC"/*.go
cp "$HERE"/go/*.go "$SRC/"

# OpenAPI models of the built-in types (kube-apiserver's come from k8s.io/kubernetes, not packaged):
# generated from the k8s.io/api sources with kube-openapi's openapi-gen, once per unpacked tree.
# The apimachinery packages are inputs too, so that references use their OpenAPI model names.
OPENAPI_PKGS="k8s.io/api/core/v1 k8s.io/api/coordination/v1 k8s.io/api/authentication/v1 k8s.io/api/authorization/v1
  k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/runtime k8s.io/apimachinery/pkg/version
  k8s.io/apimachinery/pkg/api/resource k8s.io/apimachinery/pkg/util/intstr"
OPENAPI_KEY=$( { cat "$ROOT/.complete"; echo $OPENAPI_PKGS; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$SRC/generated/openapi/.key" 2>/dev/null)" != "$OPENAPI_KEY" ] || [ ! -s "$SRC/generated/openapi/zz_generated.openapi.go" ]; then
  log "generating OpenAPI models of the built-in types (openapi-gen)"
  run openapi-gen-build go build -o "$C/tools/openapi-gen" k8s.io/kube-openapi/cmd/openapi-gen
  : > "$C/tools/empty-header.txt"
  run openapi-gen "$C/tools/openapi-gen" --output-dir "$SRC/generated/openapi" --output-pkg kubetestapiserver/generated/openapi \
    --output-file zz_generated.openapi.go --go-header-file "$C/tools/empty-header.txt" \
    --report-filename "$C/logs/openapi-api-rule-violations.txt" $OPENAPI_PKGS
  echo "$OPENAPI_KEY" > "$SRC/generated/openapi/.key"
fi

K8S=$(awk '$1=="golang-k8s-apiextensions-apiserver-dev"{print $2}' "$C/versions.txt" | sed 's/^[0-9]*://; s/-[^-]*$//') # 0.36.4
MINOR=$(echo "$K8S" | cut -d. -f2)
VERSION="v1.${K8S#0.}+debian"
LDFLAGS="-X k8s.io/component-base/version.gitVersion=$VERSION -X k8s.io/component-base/version.gitMajor=1"
LDFLAGS="$LDFLAGS -X k8s.io/component-base/version.gitMinor=$MINOR -X k8s.io/client-go/pkg/version.gitVersion=$VERSION"
log "building kube-test-apiserver $VERSION with go $GO_VERSION (a cold Go build cache takes minutes)"
run build go build -o "$C/bin/kube-test-apiserver.new" -ldflags "$LDFLAGS" kubetestapiserver
mv -f "$C/bin/kube-test-apiserver.new" "$C/bin/kube-test-apiserver"

# ---- 3. PKI (kept between builds) ----
P=$C/pki
pki() {
  cat > "$P/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = kube-test-ca
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
CNF
  if [ ! -s "$P/ca.crt" ] || [ ! -s "$P/ca.key" ]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -days 3650 -keyout "$P/ca.key" -out "$P/ca.crt" \
      -config "$P/openssl.cnf" -extensions ca
    rm -f "$P/server.crt" "$P/admin.crt"
  fi
  leaf() { # name subject extensions
    if [ -s "$P/$1.crt" ] && [ -s "$P/$1.key" ] && openssl verify -CAfile "$P/ca.crt" "$P/$1.crt" > /dev/null; then return 0; fi
    openssl req -new -nodes -newkey rsa:2048 -keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" -config "$P/openssl.cnf"
    openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial -days 3650 \
      -extfile "$P/openssl.cnf" -extensions "$3" -out "$P/$1.crt"
    rm -f "$P/$1.csr"
  }
  leaf server "/CN=localhost" server
  leaf admin "/O=system:masters/CN=admin" client
  if [ ! -s "$P/admin.token" ]; then openssl rand -hex 32 > "$P/admin.token"; fi
  echo "$(cat "$P/admin.token"),admin,admin,\"system:masters\"" > "$P/tokens.csv"
  chmod 600 "$P"/*.key "$P/admin.token" "$P/tokens.csv"
}
command -v openssl > /dev/null || die "missing host tool: openssl"
run pki pki

echo "$SOURCE_HASH" > "$C/stamp"
log "done: $(grep -E '^(golang-k8s-apiextensions-apiserver-dev|golang-1\.[0-9]+-go|etcd-server|kubectl) ' "$C/versions.txt" | tr '\n' ' ')"
