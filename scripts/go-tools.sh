#!/usr/bin/env bash
# Builds the Go tools the project needs (helm, kubeconform, etcd, kube-apiserver, jaeger)
# through the Go module proxy, once per version, into the user's cache folder.
# Usage: scripts/go-tools.sh [tool ...]   (default: all). Prints the bin folder.
set -euo pipefail

TOOLS_DIR="${FLOODGATE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/floodgate/tools}"
HELM_VERSION=v3.21.4
KUBECONFORM_VERSION=v0.7.0
ETCD_VERSION=v3.6.16
KUBE_VERSION=1.34.4
# Jaeger v2.13.0 is tagged v1.76.0 in Go (the module path has no /v2); the proxy here
# answers no commit queries, so the tag it is.
JAEGER_VERSION=v1.76.0
# terraform 1.8.5 is the newest tag whose go.mod has no replace directives.
TERRAFORM_VERSION=v1.8.5

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-trimpath GOPROXY="${GOPROXY:-https://proxy.golang.org}"
mkdir -p "$TOOLS_DIR/bin"

log() { printf '[go-tools] %s\n' "$*" >&2; }

need_go() {
  command -v go >/dev/null 2>&1 || { log "Go is not installed: install Go >= 1.25 (apt-get install golang, or from go.dev) and re-run"; exit 1; }
}

# install_bin NAME VERSION BUILT_PATH: move into the versioned cache and link into bin/.
install_bin() {
  local name=$1 version=$2 built=$3
  mkdir -p "$TOOLS_DIR/$name-$version"
  mv "$built" "$TOOLS_DIR/$name-$version/$name"
  ln -sfn "$TOOLS_DIR/$name-$version/$name" "$TOOLS_DIR/bin/$name"
}

have() { [ -x "$TOOLS_DIR/$1-$2/$1" ] && ln -sfn "$TOOLS_DIR/$1-$2/$1" "$TOOLS_DIR/bin/$1"; }

build_helm() {
  have helm "$HELM_VERSION" && return
  log "building helm $HELM_VERSION (first time only, a few minutes)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  install_bin helm "$HELM_VERSION" "$tmp/helm"; rm -rf "$tmp"
}

build_kubeconform() {
  have kubeconform "$KUBECONFORM_VERSION" && return
  log "building kubeconform $KUBECONFORM_VERSION"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  install_bin kubeconform "$KUBECONFORM_VERSION" "$tmp/kubeconform"; rm -rf "$tmp"
}

# etcd's server module has local replace directives, so `go install` refuses it;
# a wrapper module that requires it builds fine (replaces in dependencies are ignored).
build_etcd() {
  have etcd "$ETCD_VERSION" && return
  log "building etcd $ETCD_VERSION (first time only)"
  local tmp; tmp=$(mktemp -d)
  ( cd "$tmp" && go mod init local/etcdbin >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
    && go build -o "$tmp/etcd" go.etcd.io/etcd/server/v3 )
  install_bin etcd "$ETCD_VERSION" "$tmp/etcd"; rm -rf "$tmp"
}

# k8s.io/kubernetes pins its staging modules to v0.0.0 with local replaces; the wrapper
# module replaces each with its published v0.<minor>.<patch> version, generated from
# the upstream go.mod so the list is never copied by hand.
build_kube_apiserver() {
  have kube-apiserver "v$KUBE_VERSION" && return
  log "building kube-apiserver v$KUBE_VERSION (first time only, 15-25 minutes on 2 cores)"
  local tmp staging minor gomod
  tmp=$(mktemp -d); staging="0.${KUBE_VERSION#1.}"; minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  (
    cd "$tmp" && go mod init local/k8sbin >/dev/null 2>&1
    gomod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    for m in $(awk '/=> \.\/staging\/src\//{print $1}' "$gomod"); do
      go mod edit -replace="$m=$m@v$staging"
    done
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$KUBE_VERSION"
    go build -o "$tmp/kube-apiserver" -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 \
      -X k8s.io/component-base/version.gitMinor=$minor" k8s.io/kubernetes/cmd/kube-apiserver
  )
  install_bin kube-apiserver "v$KUBE_VERSION" "$tmp/kube-apiserver"; rm -rf "$tmp"
}

# Jaeger's go.mod at v1.76.0 replaces sarama; `go install` refuses that, so a wrapper
# module repeats the one replace and builds the jaeger (v2, all-in-one capable) binary.
build_jaeger() {
  have jaeger "$JAEGER_VERSION" && return
  log "building jaeger $JAEGER_VERSION (= Jaeger v2.13.0; first time only, 10-15 minutes on 2 cores)"
  local tmp; tmp=$(mktemp -d)
  # The checksum database reached through this proxy has no entries (404) for some
  # OpenTelemetry Collector modules Jaeger pins; skip the lookup for those prefixes only.
  ( cd "$tmp" && export GONOSUMDB="go.opentelemetry.io/collector,github.com/open-telemetry/opentelemetry-collector-contrib${GONOSUMDB:+,$GONOSUMDB}" \
    && go mod init local/jaegerbin >/dev/null 2>&1 \
    && go mod edit -replace=github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0 \
    && go get "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" \
    && go build -o "$tmp/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger )
  install_bin jaeger "$JAEGER_VERSION" "$tmp/jaeger"; rm -rf "$tmp"
}

build_terraform() {
  have terraform "$TERRAFORM_VERSION" && return
  log "building terraform $TERRAFORM_VERSION (first time only, 5-8 minutes)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" go install -ldflags "-X github.com/hashicorp/terraform/version.dev=no" "github.com/hashicorp/terraform@$TERRAFORM_VERSION"
  install_bin terraform "$TERRAFORM_VERSION" "$tmp/terraform"; rm -rf "$tmp"
}

need_go
tools=("$@"); [ ${#tools[@]} -eq 0 ] && tools=(helm kubeconform etcd kube-apiserver jaeger)
for t in "${tools[@]}"; do
  case "$t" in
    helm) build_helm ;;
    kubeconform) build_kubeconform ;;
    etcd) build_etcd ;;
    kube-apiserver) build_kube_apiserver ;;
    jaeger) build_jaeger ;;
    terraform) build_terraform ;;
    *) log "unknown tool: $t (known: helm kubeconform etcd kube-apiserver jaeger terraform)"; exit 2 ;;
  esac
done
echo "$TOOLS_DIR/bin"
