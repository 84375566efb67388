#!/usr/bin/env bash
# Install Debian's Chromium for the report's browser test (tests/report/test_browser.py),
# idempotently: a no-op when a chromium binary is already there. Never fatal: when it cannot
# install (not root, no apt-get, no network) it says why and exits 0, and the browser test
# then skips with its reason.
set -u
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
        echo "install_chromium: $(command -v "$name") is already installed"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_chromium: no apt-get on this machine; install Chromium yourself to run the browser test" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "install_chromium: not root and no password-less sudo; the browser test will skip" >&2
        exit 0
    fi
fi
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
if $SUDO apt-get update -qq >"$log" 2>&1 && $SUDO apt-get install -y -qq chromium >>"$log" 2>&1; then
    echo "install_chromium: installed $(chromium --version 2>/dev/null || echo chromium)"
else
    echo "install_chromium: apt-get could not install chromium (the browser test will skip):" >&2
    tail -n 5 "$log" >&2
fi
rm -f "$log"
exit 0
