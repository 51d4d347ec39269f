#!/usr/bin/env bash
# Shared set-up for scripts/lab and scripts/test: installs the Debian packages the project needs, once.
# Idempotent: packages already installed are not touched; apt-get runs only when something is missing.
set -euo pipefail

# System packages needed by the build and the tests (Debian 12). Later transports add theirs here.
MYNACERT_PACKAGES=(pkg-config)
# Results: xmllint validates JUnit against fixtures/schemas/junit-10.xsd; chromium renders the HTML report.
MYNACERT_PACKAGES+=(libxml2-utils chromium)
# PC/SC: readers, the vpcd virtual reader for served virtual cards, OpenSC for interop tests.
MYNACERT_PACKAGES+=(pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd opensc)
MYNACERT_PACKAGES+=(adb) # Debian's adb 29: the adb server the ADB tests drive
# What only the tests need (scripts/test sets it): PostgreSQL for the shared store and work queue.
MYNACERT_PACKAGES+=(${MYNACERT_TEST_PACKAGES[@]+"${MYNACERT_TEST_PACKAGES[@]}"})

need=()
for p in "${MYNACERT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  echo "installing: ${need[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { echo "cargo not found: install the Rust toolchain (rustup)" >&2; exit 3; }
