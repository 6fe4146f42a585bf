#!/usr/bin/env bash
# Runs every test: unit tests (no I/O), the Stripe stand-in's own tests, and integration tests on real SQLite files
# with the stand-in over loopback HTTP.
# Needs only the .NET SDK. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")"

configuration="${CONFIGURATION:-Release}"
dotnet build Gravity.Usage.sln -c "$configuration"
dotnet test tests/Gravity.Usage.Tests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.Testing.Tests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.IntegrationTests -c "$configuration" --no-build "$@"
