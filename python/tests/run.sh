#!/usr/bin/env bash
# The Python package's and the Spark examples' tests, as CI runs them (after `cargo test
# --workspace`, which builds target/debug/erosion and erosion-score, the binaries they compare
# with):  python/tests/run.sh
# Makes a virtualenv under target/ (target/pyenv, reused when it has the packages), installs the
# test packages from PyPI and the package itself with `pip install ./python` (maturin builds the
# Rust extension in release mode into python/target, incremental after the first time), then
# runs pytest on local Spark (Java 17: installed with apt-get when missing, as the browser check
# installs Chromium). It never skips: with no Python, no Java or no package index it fails and
# says what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v python3 >/dev/null || { echo "python tests: no python3 on the path" >&2; exit 1; }
if ! command -v java >/dev/null 2>&1; then
  # PySpark needs a Java runtime: installed as tests/browser/run.sh installs Chromium (as root or
  # through passwordless sudo, Debian's package); when it cannot, it fails and says so.
  if [ "$(id -u)" = 0 ]; then as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root=(sudo -n)
  else
    echo "python tests: no java on the path (PySpark needs Java 17) and this user cannot install" \
         "it (not root, no passwordless sudo); install openjdk-17-jre-headless" >&2
    exit 1
  fi
  command -v apt-get >/dev/null 2>&1 \
    || { echo "python tests: no java on the path and no apt-get to install it with" >&2; exit 1; }
  echo "installing openjdk-17-jre-headless (apt-get)"
  "${as_root[@]}" apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq \
         openjdk-17-jre-headless >/dev/null \
    || { echo "python tests: apt-get could not install openjdk-17-jre-headless" >&2; exit 1; }
fi

venv=target/pyenv
# pinned to the versions measured (docs/SCALE.md); onnxruntime and numpy as the ONNX parity test
packages=(maturin==1.16.0 pyspark==4.3.0 pyarrow==26.0.1 polars==2.1.0 pandas==2.3.3
          onnxruntime==1.32.0 numpy==2.4.6 pytest==9.2.0)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
# the build backend runs the venv's maturin (no build isolation: no second download)
export PATH="$PWD/$venv/bin:$PATH"
for bin in erosion erosion-score; do
  [ -x "target/debug/$bin" ] || cargo build -p erosion-cli -p erosion-score
done
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-build-isolation ./python
export EROSION_BIN_DIR="$PWD/target/debug"
"$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests
