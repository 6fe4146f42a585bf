#!/usr/bin/env bash
# Package smoke test: packs Gravity.Usage, Gravity.Usage.PostgreSql, Gravity.Usage.Testing, Gravity.Usage.AspNetCore
# and the gravity-usage tool into a temporary folder feed, then builds and runs a fresh host app (eng/package-smoke/)
# from those packages only, outside the repository:
# its own nuget.config (the folder feed for Gravity.Usage*, nuget.org for the rest), none of the repo's
# Directory.*.props. The host also uses EF Core's SQLite provider in the same process, increments usage through
# AddUsageBilling, reports it to the Stripe stand-in and checks the stand-in's meter total; then the tool, installed
# from the feed, reads the host's ledger (`gravity-usage status`). Last, a fresh ASP.NET Core app (`dotnet new web`,
# `dotnet add package` from the feed, eng/package-smoke-web/Program.cs) runs on a loopback port and must answer bad
# input with 400 problem details naming the parameter, and good input with 200. Needs only the .NET SDK and NuGet (curl
# when present, bash's /dev/tcp otherwise). Run by .ci/run; KEEP_SMOKE_DIR=1 keeps the temporary directory;
# EF_CORE_VERSION overrides the EF Core version; SMOKE_WITHOUT_CURL=1 uses /dev/tcp even where curl is installed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
configuration="${CONFIGURATION:-Release}"
# The EF Core 10.0.x the host uses: its SQLite provider asks for the same SQLitePCLRaw 2.1.x line as the packages.
ef_core_version="${EF_CORE_VERSION:-10.0.15}"
started=$SECONDS

work="$(mktemp -d "${TMPDIR:-/tmp}/gravity-usage-smoke.XXXXXX")"
web_pid=""
cleanup() {
  # The web app is stopped whatever happened, before its directory goes.
  if [[ -n "$web_pid" ]]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  if [[ "${KEEP_SMOKE_DIR:-}" == 1 ]]; then echo "package smoke: kept $work"; else rm -rf "$work"; fi
}
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
# A fresh ASP.NET Core app, made as a new user makes one: `dotnet new web`, then `dotnet add package` from the feed.
# Warnings are errors in its build too (a downgrade or a version conflict fails here, not in a user's app), except
# NU1603: Stripe.net asks for System.Configuration.ConfigurationManager >= 10.0.0, which some registries and mirrors
# do not serve exactly (a near version resolves; the repository pins it in Directory.Packages.props for that reason).
web="$work/web"
quiet() { # runs a command, showing its output only when it fails
  local log="$work/quiet.log"
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; return 1; fi
}
echo "package smoke: a fresh ASP.NET Core app with Gravity.Usage and Gravity.Usage.AspNetCore $version"
if ! quiet dotnet new web --no-update-check --no-restore -n WebSmoke -o "$web"; then
  # An SDK without its templates: the project `dotnet new web` writes, by hand.
  echo "package smoke: no web template, writing the project by hand"
  mkdir -p "$web"
  cat > "$web/WebSmoke.csproj" <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
</Project>
PROJECT
fi
(cd "$web" && quiet dotnet add package Gravity.Usage --version "$version" \
  && quiet dotnet add package Gravity.Usage.AspNetCore --version "$version")
cp "$repo/eng/package-smoke-web/Program.cs" "$web/Program.cs"
(cd "$web" && dotnet build -c Release --nologo -v:q -p:TreatWarningsAsErrors=true -p:WarningsNotAsErrors=NU1603 -o "$web/out")

# Port 0: Kestrel picks a free loopback port and logs it, so two runs never race for one.
web_log="$work/web.log"
ASPNETCORE_ENVIRONMENT=Production dotnet "$web/out/WebSmoke.dll" --urls "http://127.0.0.1:0" --ledger "$work/data/web-usage.db" \
  >"$web_log" 2>&1 &
web_pid=$!
address=""
for _ in $(seq 1 600); do
  address="$(sed -n 's|.*Now listening on: \(http://127\.0\.0\.1:[0-9][0-9]*\).*|\1|p' "$web_log" | head -n 1)"
  if [[ -n "$address" ]]; then break; fi
  if ! kill -0 "$web_pid" 2>/dev/null; then cat "$web_log" >&2; echo "package smoke: the web app exited" >&2; exit 1; fi
  sleep 0.1
done
if [[ -z "$address" ]]; then cat "$web_log" >&2; echo "package smoke: the web app did not start listening in 60 s" >&2; exit 1; fi
echo "package smoke: the web app listens on $address"

# POSTs an empty body to the app: sets http_status, http_type (content type) and http_body.
post() {
  local path="$1"
  if [[ "${SMOKE_WITHOUT_CURL:-}" != 1 ]] && command -v curl >/dev/null 2>&1; then
    local written
    written="$(curl -sS -X POST -o "$work/body" -w '%{http_code} %{content_type}' "$address$path")"
    http_status="${written%% *}"
    http_type="${written#* }"
    http_body="$(cat "$work/body")"
  else
    # HTTP/1.0 over bash's /dev/tcp: the answer is not chunked and ends when the server closes the connection.
    local port="${address##*:}" response
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' "$path" >&3
    response="$(tr -d '\r' <&3)"
    exec 3<&-
    http_status="$(printf '%s\n' "$response" | head -n 1 | cut -d ' ' -f 2)"
    http_type="$(printf '%s\n' "$response" | sed -n '2,/^$/s/^[Cc]ontent-[Tt]ype: *//p' | head -n 1)"
    http_body="$(printf '%s\n' "$response" | sed '1,/^$/d')"
  fi
}

web_failures=0
# expect <path> <status> <content type> <text the body must contain>
expect() {
  post "$1"
  if [[ "$http_status" == "$2" && "$http_type" == "$3"* && "$http_body" == *"$4"* ]]; then
    echo "ok   POST $1 -> $http_status $http_type $http_body"
  else
    echo "FAIL POST $1 -> $http_status $http_type $http_body (expected $2, $3, a body with $4)"
    web_failures=$((web_failures + 1))
  fi
}
expect "/calls?account=&quantity=1" 400 "application/problem+json" '"parameter":"account"'
expect "/calls?account=acct_1&quantity=0" 400 "application/problem+json" '"parameter":"quantity"'
expect "/calls?account=acct_1&quantity=0" 400 "application/problem+json" '"detail":"A quantity must be at least 1'
expect "/checked-calls?account=%E2%80%8B&quantity=1" 400 "application/problem+json" '"parameter":"account"'
expect "/checked-calls?account=acct_1&quantity=1" 200 "application/json" '"outcome":"Recorded"'
expect "/calls?account=acct_1&quantity=2" 200 "application/json" '"outcome":"Recorded"'
kill "$web_pid" 2>/dev/null || true
wait "$web_pid" 2>/dev/null || true
web_pid=""
if [[ $web_failures -ne 0 ]]; then cat "$web_log" >&2; echo "package smoke: the web app failed $web_failures check(s)" >&2; exit 1; fi

echo "package smoke: passed in $((SECONDS - started)) s"
