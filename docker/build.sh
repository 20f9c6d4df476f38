#!/bin/sh
# The image's build steps (the Dockerfile runs this script; a test runs it in a clean copy of the
# repository, as there is no Docker engine on the build machines).
# CI=true: pnpm must never stop to ask on a terminal (`pnpm prune` does without it).
set -eu
export CI=true
pnpm install --frozen-lockfile
pnpm build
# Keep what runs: production dependencies only. (`pnpm prune --prod` leaves the workspace
# packages without theirs, so install again with --prod instead.)
rm -rf node_modules apps/*/node_modules libs/*/node_modules
pnpm install --frozen-lockfile --prod --offline || pnpm install --frozen-lockfile --prod
# Nothing the image must not carry, even if the build context had it.
# The benchmark is built with the workspace but is not the product.
rm -rf data topics/users.yaml apps/console/test-results apps/server/bench
