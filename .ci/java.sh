#!/usr/bin/env bash
# Install Debian's Java runtime for the Spark tests (icp score/source --engine spark), if missing.
# Prints the java path on success; exits non-zero (and the Spark tests skip) if it cannot be installed.
set -euo pipefail
if command -v java >/dev/null 2>&1; then
    command -v java
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# PySpark 4 needs Java 17 or newer; the headless runtime is enough
$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless >&2
command -v java
