#!/usr/bin/env bash
# Builds the project (./mvnw install, tests skipped) unless nothing changed since the last build this
# script made: the scripts that run tipstream (run.sh, tipstream, bench/run.sh) call it first. A build
# with nothing to do still took 39-52 s (four Quarkus packagings and protoc), out of the main job's
# 15 minutes. Nothing changed means: the same content of every file git tracks or would track but the
# Markdown documents, which no build output holds (and the same Java), and every build output still there
# and not rebuilt since by another command.
# Options: --force builds whatever the stamp says. Progress and errors go to stderr.
set -euo pipefail
cd "$(dirname "$0")"
stamp=target/build.sha1

fingerprint() {
  # no git (a copy without .git): no fingerprint, so always build
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 1
  { git ls-files -co --exclude-standard -z -- ':!:*.md' | xargs -0 sha1sum 2>&1; java -version 2>&1; } \
    | sha1sum | cut -d' ' -f1
}

# the outputs the scripts run from: each module's jar, the Quarkus services' runners
up_to_date() {
  local wanted="$1"
  [[ -n "$wanted" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] || return 1
  local module
  for module in $(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml); do
    compgen -G "$module/target/*.jar" >/dev/null || return 1
    if grep -q quarkus-maven-plugin "$module/pom.xml"; then
      [[ -f "$module/target/quarkus-app/quarkus-run.jar" ]] || return 1
    fi
  done
  # a build by another command since (mvn install, a test run) may have built other sources
  [[ -z "$(find . -path ./.devstack -prune -o -path '*/target/*' -newer "$stamp" -print -quit)" ]]
}

wanted=$(fingerprint || true)
if [[ "${1:-}" != "--force" ]] && up_to_date "$wanted"; then
  echo "build: up to date (no source changed since the last build)" >&2
  exit 0
fi
echo "building (first run downloads dependencies; a few minutes)..." >&2
./mvnw -q -B -ntp install -DskipTests >&2
mkdir -p target
if [[ -n "$wanted" ]]; then
  echo "$wanted" > "$stamp"
fi
