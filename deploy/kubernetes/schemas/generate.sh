#!/usr/bin/env bash
# Regenerates the JSON schemas beside this script from k8s.io/api's Go types
# (gen/, its own module, so hrsync's go.mod does not carry k8s.io/api).
# Add a kind to gen/main.go's list when a manifest uses a new one.
set -euo pipefail
cd "$(dirname "$0")/gen"
go run . ..
