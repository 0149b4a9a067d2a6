#!/usr/bin/env bash
# Install what the tests need and run the whole suite (README.md "## Tests"; .ci/run runs this).
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and Redis on 127.0.0.1:6379:
# the suite fails, never skips, when they are unreachable.
set -euo pipefail
cd "$(dirname "$0")/.."

python=""
# pyenv's interpreters too, for a shell whose PATH lacks pyenv's shims.
for candidate in python3.13 python3.12 python3 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    python=$(command -v "$candidate"); break
  fi
done
[ -n "$python" ] || { echo "Python 3.12 or newer is needed" >&2; exit 1; }

[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.installed-test
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  echo "$wanted" > "$stamp"
  # The test extras include everything the Quick start installs.
  printf '%s' "$wanted" > .venv/.installed
fi

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "warning: could not install chromium; browser tests will fail" >&2
fi

exec .venv/bin/pytest "$@"
