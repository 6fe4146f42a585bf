#!/usr/bin/env bash
# Package smoke test: packs Gravity.Usage, Gravity.Usage.PostgreSql, Gravity.Usage.Testing, Gravity.Usage.AspNetCore
# and the gravity-usage tool into a temporary folder feed, then builds and runs a fresh host app (eng/package-smoke/)
# from those packages only, outside the repository:
# its own nuget.config (the folder feed for Gravity.Usage*, nuget.org for the rest), none of the repo's
# Directory.*.props. The host also uses EF Core's SQLite provider in the same process, increments usage through
# AddUsageBilling, reports it to the Stripe stand-in and checks the stand-in's meter total; then the tool, installed
# from the feed, reads the host's ledger (`gravity-usage status`). Needs only the .NET SDK and
# NuGet. Run by .ci/run; KEEP_SMOKE_DIR=1 keeps the temporary directory; EF_CORE_VERSION overrides the EF Core version.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration="${CONFIGURATION:-Release}"
# The EF Core 10.0.x the host uses: its SQLite provider asks for the same SQLitePCLRaw 2.1.x line as the packages.
ef_core_version="${EF_CORE_VERSION:-10.0.15}"
started=$SECONDS

work="$(mktemp -d "${TMPDIR:-/tmp}/gravity-usage-smoke.XXXXXX")"
cleanup() { if [[ "${KEEP_SMOKE_DIR:-}" == 1 ]]; then echo "package smoke: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
feed="$work/feed"
host="$work/host"
mkdir -p "$feed" "$host" "$work/packages" "$work/data"

echo "package smoke: packing into $feed"
for project in Gravity.Usage Gravity.Usage.PostgreSql Gravity.Usage.Testing Gravity.Usage.AspNetCore Gravity.Usage.Tool; do
  dotnet pack "$repo/src/$project/$project.csproj" -c "$configuration" -o "$feed" --nologo -v:q
done
shopt -s nullglob
core=("$feed"/Gravity.Usage.[0-9]*.nupkg)
if [[ ${#core[@]} -ne 1 ]]; then echo "package smoke: expected one Gravity.Usage package in $feed" >&2; exit 1; fi
version="$(basename "${core[0]}" .nupkg)"
version="${version#Gravity.Usage.}"
ls -1 "$feed"

# The host: its own folder, stopped from inheriting any Directory.*.props above it, with its own nuget.config.
# Restores go to a throw-away global packages folder (so a package of the same version restored earlier is never
# reused), with the user's folder as a read-only fallback for everything else.
cp "$repo/eng/package-smoke/Program.cs" "$repo/eng/package-smoke/PackageSmoke.csproj" "$host/"
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' > "$work/$f"; done
user_packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')"
fallback=""
if [[ -n "$user_packages" && -d "$user_packages" ]]; then
  fallback="<fallbackPackageFolders><clear /><add key=\"user\" value=\"$user_packages\" /></fallbackPackageFolders>"
fi
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  $fallback
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local">
      <package pattern="Gravity.Usage" />
      <package pattern="Gravity.Usage.*" />
    </packageSource>
    <packageSource key="nuget.org">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
CONFIG

echo "package smoke: building the host with Gravity.Usage $version and Microsoft.EntityFrameworkCore.Sqlite $ef_core_version"
(cd "$host" && dotnet build -c Release --nologo -v:q \
  -p:GravityUsageVersion="$version" -p:EFCoreVersion="$ef_core_version")

# The packages came from the folder feed just packed, not from a cache.
for id in gravity.usage gravity.usage.postgresql gravity.usage.testing gravity.usage.aspnetcore; do
  if ! cmp -s "$work/packages/$id/$version/$id.$version.nupkg" "$feed/$(ls "$feed" | grep -i "^$id\.$version\.nupkg$")"; then
    echo "package smoke: $id $version was not restored from the packed feed" >&2
    exit 1
  fi
done
echo "package smoke: resolved SQLite packages:"
grep -oE '"(SQLitePCLRaw[^"/]*|Microsoft\.Data\.Sqlite\.Core|Microsoft\.EntityFrameworkCore\.Sqlite)/[^"]+"' "$host/obj/project.assets.json" \
  | sort -u | sed 's/^/  /'

dotnet "$host/bin/Release/net10.0/PackageSmoke.dll" "$work/data"

# The operations tool, installed from the feed as a user would, reads the ledger the host wrote: exit 0 (healthy) or
# 3 (needs attention) both prove it opened the ledger; 1 or 2 fail the smoke test.
echo "package smoke: installing gravity-usage $version from $feed"
(cd "$work" && dotnet tool install Gravity.Usage.Tool --version "$version" --tool-path "$work/tool" --configfile "$work/nuget.config" >/dev/null)
set +e
"$work/tool/gravity-usage" status --sqlite "$work/data/usage.db"
status=$?
set -e
if [[ $status -ne 0 && $status -ne 3 ]]; then echo "package smoke: gravity-usage status exited $status" >&2; exit 1; fi
echo "package smoke: passed in $((SECONDS - started)) s"
