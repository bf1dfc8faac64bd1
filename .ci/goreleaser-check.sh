#!/usr/bin/env bash
# Checks .goreleaser.yaml and builds a release snapshot (archives, checksums)
# with GoReleaser, then looks inside the archives. GoReleaser is taken from
# PATH, or installed from the Go module proxy; when that is not possible in
# time, every target of the release matrix is cross-compiled with plain
# `go build` instead, and the output says so. Not being able to install the
# tool never fails CI; a bad config or a broken build does.
#
#   GORELEASER_VERSION          version to install (default below)
#   GORELEASER_INSTALL_TIMEOUT  seconds allowed for `go install` (default 600)
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n== %s\n' "$*"; }

# v2.17 and later need go >= 1.26.4 / 1.27 or a module the proxy here refuses
# (go.digitalxero.dev/go-msix, 403); v2.16.0 builds with go 1.26.
version=${GORELEASER_VERSION:-v2.16.0}
install_timeout=${GORELEASER_INSTALL_TIMEOUT:-600}
# Keep this matrix in step with builds: in .goreleaser.yaml.
targets=(windows/amd64 windows/arm64 linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)

find_goreleaser() {
  if command -v goreleaser >/dev/null 2>&1; then
    command -v goreleaser
    return 0
  fi
  local bin="${XDG_CACHE_HOME:-$HOME/.cache}/hrsync-ci/goreleaser-$version"
  if [ -x "$bin/goreleaser" ]; then
    echo "$bin/goreleaser"
    return 0
  fi
  mkdir -p "$bin"
  local start=$SECONDS
  echo "installing github.com/goreleaser/goreleaser/v2@$version (up to ${install_timeout}s) ..." >&2
  if GOBIN="$bin" timeout "$install_timeout" \
      go install "github.com/goreleaser/goreleaser/v2@$version" >"$bin/install.log" 2>&1; then
    echo "installed in $((SECONDS - start))s" >&2
    echo "$bin/goreleaser"
    return 0
  fi
  echo "warning: could not install goreleaser $version in $((SECONDS - start))s; last lines of the log:" >&2
  tail -n 5 "$bin/install.log" >&2 || true
  return 1
}

fallback_build() {
  step "cross-compile the release matrix with go build (goreleaser not available: config not checked, no archives)"
  local out=dist/fallback
  rm -rf "$out"
  local v
  v="0.0.0-fallback-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  for target in "${targets[@]}"; do
    local goos=${target%/*} goarch=${target#*/} exe=hrsync
    [ "$goos" = windows ] && exe=hrsync.exe
    GOOS=$goos GOARCH=$goarch CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/hrsync/hrsync/commands.Version=$v" \
      -o "$out/${goos}_${goarch}/$exe" ./cmd/hrsync
    echo "built $target"
  done
  echo "fallback build done: ${#targets[@]} targets in $out (goreleaser was not used)"
}

# check_archives looks inside every archive: the binary, README.md, every file
# git tracks in an example's folder (but dotfiles and Go code, like
# examples/examples_test.go), the Kubernetes manifests and README and the
# image's Dockerfile, and nothing from a hrsync-data/ folder.
check_archives() {
  step "look inside the archives"
  local want_examples
  want_examples=$(git ls-files 'examples/*/*' | grep -v -e '/\.[^/]*$' -e '\.go$' | sort)
  local want_deploy
  want_deploy=$(git ls-files 'deploy/kubernetes/*.md' 'deploy/kubernetes/*.yaml' 'deploy/container/Dockerfile' | sort)
  local count=0 failed=0
  for archive in dist/*.tar.gz dist/*.zip; do
    [ -e "$archive" ] || continue
    count=$((count + 1))
    local listing
    case "$archive" in
      *.zip) listing=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$archive") ;;
      *) listing=$(tar -tzf "$archive") ;;
    esac
    # Names inside are wrapped in one folder (wrap_in_directory); drop it.
    listing=$(printf '%s\n' "$listing" | sed 's|^[^/]*/||' | grep -v '/$' | sort)
    local exe=hrsync
    case "$archive" in *windows*) exe=hrsync.exe ;; esac
    for need in "$exe" README.md $want_examples $want_deploy; do
      # A here-string, not a pipe: grep -q stops at the first match, and
      # under pipefail printf's SIGPIPE on a listing past one write would
      # read as "missing".
      if ! grep -qxF "$need" <<<"$listing"; then
        echo "$archive: missing $need"
        failed=1
      fi
    done
    if grep -q 'hrsync-data/' <<<"$listing"; then
      echo "$archive: holds files from a hrsync-data/ folder:"
      printf '%s\n' "$listing" | grep 'hrsync-data/' | head -n 5
      failed=1
    fi
  done
  [ "$count" -eq "${#targets[@]}" ] || { echo "want ${#targets[@]} archives, found $count"; failed=1; }
  [ "$(wc -l < dist/checksums.txt)" -eq "$count" ] || { echo "checksums.txt does not list every archive"; failed=1; }
  (cd dist && sha256sum --quiet -c checksums.txt) || failed=1
  [ "$failed" -eq 0 ] || return 1
  echo "$count archives: binary, README.md, $(printf '%s\n' "$want_examples" | grep -c .) example files, $(printf '%s\n' "$want_deploy" | grep -c .) deploy files each; no hrsync-data; checksums match"
}

step "goreleaser $version"
if ! goreleaser=$(find_goreleaser); then
  fallback_build
  exit 0
fi
"$goreleaser" --version | grep -i '^gitversion' || true

step "goreleaser check"
"$goreleaser" check

# A run of an example leaves hrsync-data/ in its folder; plant one where none
# exists (so nothing of a developer's is touched) to prove the archives leave
# it out.
canaries=()
cleanup() { for c in "${canaries[@]}"; do rm -rf "$c"; done; }
trap cleanup EXIT
for dir in examples/*/; do
  [ -e "${dir}hrsync-data" ] && continue
  canaries+=("${dir}hrsync-data")
  mkdir -p "${dir}hrsync-data/reports"
  echo "source,file" > "${dir}hrsync-data/reports/canary.csv"
  echo "canary" > "${dir}hrsync-data/canary.txt"
done

# The image (dockers_v2) needs a docker daemon with buildx; without one the
# snapshot builds everything else and says the image was not built.
skip=publish
if docker buildx version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  image=built
else
  skip=publish,docker
  image="not built (no docker daemon with buildx here; goreleaser check validated dockers_v2)"
fi

step "goreleaser release --snapshot --clean --skip=$skip"
start=$SECONDS
"$goreleaser" release --snapshot --clean --skip="$skip"
echo "snapshot built in $((SECONDS - start))s; container image: $image"

check_archives

step "the linux/amd64 binary reports its version"
host_bin=$(find dist -path '*linux_amd64*' -name hrsync -type f | head -n 1)
if [ -n "$host_bin" ] && [ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ]; then
  "$host_bin" version
  "$host_bin" version | grep -q -- '-snapshot-' || { echo "version was not stamped by ldflags"; exit 1; }
fi
