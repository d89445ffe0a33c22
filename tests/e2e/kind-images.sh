#!/usr/bin/env bash
# Build both service images with Docker (the official Python base) and load them into a kind
# cluster: the first step of both end-to-end runs (kind.sh, argocd.sh).
#   bash tests/e2e/kind-images.sh KIND_CLUSTER IMAGE_PREFIX IMAGE_TAG
# IMAGE_CACHE_FLAGS (make's) passes a layer cache through.
set -euo pipefail
cd "$(dirname "$0")/../.."
cluster=${1:?usage: kind-images.sh KIND_CLUSTER IMAGE_PREFIX IMAGE_TAG}
prefix=${2:?usage: kind-images.sh KIND_CLUSTER IMAGE_PREFIX IMAGE_TAG}
tag=${3:?usage: kind-images.sh KIND_CLUSTER IMAGE_PREFIX IMAGE_TAG}
make images CONTAINER_ENGINE=docker PYTHON_BASE=docker.io/library/python:3.11-slim-bookworm \
  IMAGE_BUILD_FLAGS= IMAGE_PREFIX="$prefix" IMAGE_TAG="$tag"
for app in flask fastapi; do
  kind load docker-image --name "$cluster" "${prefix}meatyapis-$app:$tag"
done
