#!/usr/bin/env bash
# Install the Debian packages the product needs, only those missing; quiet and fast when done.
# Runs apt-get only as root; otherwise names what is missing and how to install it.
set -euo pipefail

packages=(
  python3-venv                                     # bootstrap venv for uv on Debian's Python
  tesseract-ocr tesseract-ocr-ind tesseract-ocr-eng tesseract-ocr-osd
  poppler-utils                                    # pdftoppm for rasterising PDFs
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0   # WeasyPrint
  fonts-dejavu-core fonts-liberation2
  fonts-humor-sans fonts-comic-neue fonts-dkg-handwriting # simulated handwriting in the corpus
  fonts-breip fonts-bwht                           # more handwriting for the corpus families
  fonts-urw-base35 fonts-freefont-ttf              # Nimbus Sans, FreeSans: other card fonts
  dovecot-imapd openssl                            # real IMAP server (+ TLS cert) for the e-mail tests
  chromium                                         # real browser for the web tests
  postgresql                                       # throw-away clusters for the database tests
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian enables dovecot as a system service; our tests start their own throwaway instance. (A
# system PostgreSQL is left alone: it may be the office's; the tests start clusters of their own.)
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
