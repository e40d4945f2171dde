#!/usr/bin/env bash
# Installs the Debian packages the local engine and its tests use, when they are missing.
# Nothing is downloaded at run time: these are the only binaries the project relies on.
# chromium: the browser tests of the report pages and the dashboard (tests/integration/browser),
# driven by Playwright, which never downloads a browser of its own here.
set -euo pipefail

packages=(ffmpeg espeak-ng fonts-noto-cjk tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim chromium)
missing=()
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
fc-list 2>/dev/null | grep -qi 'NotoSansCJK\|Noto Sans CJK' || missing+=(fonts-noto-cjk)
command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>&1 | grep -q chi_sim ||
    missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "error: need root (or sudo) to install: ${missing[*]}" >&2
        echo "       apt-get install -y ${packages[*]}" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
