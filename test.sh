#!/usr/bin/env bash
# Runs every test: unit tests (no I/O), the Stripe stand-in's own tests, integration tests on real SQLite files
# and a real PostgreSQL, with the stand-in over loopback HTTP, the ASP.NET Core webhook on the test server, and the
# operations tool against real ledgers.
# Needs only the .NET SDK: unless GRAVITY_USAGE_POSTGRES points at a server (an Npgsql connection string), a
# throw-away PostgreSQL is started for the run (installed with apt-get when missing) and stopped afterwards; see
# eng/postgres.sh. Extra arguments go to `dotnet test` (e.g. --filter).
set -euo pipefail
cd "$(dirname "$0")"

# shellcheck source=eng/postgres.sh
source eng/postgres.sh

configuration="${CONFIGURATION:-Release}"
dotnet build Gravity.Usage.sln -c "$configuration"
dotnet test tests/Gravity.Usage.Tests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.Testing.Tests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.IntegrationTests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.AspNetCore.Tests -c "$configuration" --no-build "$@"
dotnet test tests/Gravity.Usage.Tool.Tests -c "$configuration" --no-build "$@"
