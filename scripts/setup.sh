#!/usr/bin/env bash
# Set up xieyi on Debian: system packages, .venv, the project, the prepared font.
#
#   bash scripts/setup.sh                      # what the service needs
#   bash scripts/setup.sh --with-libreoffice   # and LibreOffice, which the tests need
#   bash scripts/setup.sh --with-postgresql    # and PostgreSQL's server, which the tests
#                                              # start in a temporary directory
#   bash scripts/setup.sh --with-chromium      # and Debian's Chromium, which the browser
#                                              # tests drive (Playwright, headless)
#   bash scripts/setup.sh --with-tesseract     # and Tesseract with chi_sim, the OCR
#                                              # benchmark's baseline
#
# Idempotent: packages already installed are skipped (dpkg), apt-get update
# runs only when something is missing, and pip runs only when pyproject.toml,
# the Python or the checkout's place changed.  As root it installs with
# apt-get; otherwise with sudo when that works without a password prompt;
# otherwise it prints what to install and goes on.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv

with_libreoffice=0
with_postgresql=0
with_chromium=0
with_tesseract=0
for arg in "$@"; do
    case $arg in
        --with-libreoffice) with_libreoffice=1 ;;
        --with-postgresql) with_postgresql=1 ;;
        --with-chromium) with_chromium=1 ;;
        --with-tesseract) with_tesseract=1 ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: 未知选项 / unknown option: $arg" >&2; exit 2 ;;
    esac
done

say() { printf '[setup] %s\n' "$*" >&2; }

# --- Python ≥ 3.11 -------------------------------------------------------------------------
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }

PY=""
for cand in python3.11 python3 python3.13 python3.12 /usr/bin/python3.11 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && python_ok "$(command -v "$cand")"; then
        PY=$(command -v "$cand"); break
    fi
done

# --- system packages -----------------------------------------------------------------------
# fonts: the PDF's prepared Song font is cut from UMing (with the two WenQuanYi
# fonts for what UMing lacks); poppler-utils (pdftotext, pdftoppm) and qpdf
# check PDFs in the tests, poppler-data lets poppler show the forms' Adobe-GB1
# typing font; LibreOffice plays the person who fills a DOCX.
packages=(fonts-arphic-uming fonts-wqy-zenhei fonts-wqy-microhei poppler-utils poppler-data qpdf)
if (( with_libreoffice )); then
    packages+=(libreoffice-writer-nogui)
fi
if (( with_postgresql )); then
    # the server binaries only: tests/postgres.py runs initdb in a temporary directory on a
    # free port (the package's own cluster is not used)
    packages+=(postgresql)
fi
if (( with_chromium )); then
    # Playwright's own browser download is not reachable here: the tests launch Debian's
    packages+=(chromium)
fi
if (( with_tesseract )); then
    # Tesseract 5 with its Simplified Chinese model: the OCR benchmark's baseline only
    packages+=(tesseract-ocr tesseract-ocr-chi-sim)
fi
if [[ -z $PY ]]; then
    packages+=(python3 python3-venv)
elif ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    # Debian keeps ensurepip (which venv needs) in pythonX.Y-venv
    packages+=("python$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')-venv")
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
    done
else
    say "不是 Debian 系统，请自行安装 / not Debian: install the equivalents of: ${packages[*]}"
fi

if (( ${#missing[@]} )); then
    SUDO=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
        else
            SUDO=(none)
        fi
    fi
    if [[ ${SUDO[*]-} == none ]] || ! command -v apt-get >/dev/null 2>&1; then
        say "请以 root 身份安装 / please install as root:"
        say "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
        say "继续 / going on without them"
    else
        say "安装 / installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        "${SUDO[@]}" apt-get update -qq
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
else
    say "系统软件包已齐 / system packages present: ${packages[*]}"
fi

if [[ -z $PY ]]; then
    for cand in python3.11 python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && python_ok "$(command -v "$cand")"; then
            PY=$(command -v "$cand"); break
        fi
    done
    [[ -n $PY ]] || { say "需要 Python 3.11 或更新 / Python 3.11 or newer is needed"; exit 1; }
fi

# --- .venv and the project -----------------------------------------------------------------
if [[ -x $VENV/bin/python ]] && ! python_ok "$VENV/bin/python"; then
    say ".venv 不可用，重建 / .venv is broken or too old: recreating it"
    rm -rf "$VENV"
fi
if [[ ! -x $VENV/bin/python ]]; then
    say "创建 / creating .venv with $PY ($("$PY" --version 2>&1))"
    "$PY" -m venv "$VENV"
fi

stamp=$VENV/.xieyi-setup
want=$( { cat pyproject.toml; echo "$ROOT"; "$VENV/bin/python" --version; } | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $VENV/bin/xieyi ]]; then
    say "Python 依赖已是最新 / Python packages up to date"
else
    say "安装 / installing xieyi and its dependencies into .venv (pip install -e '.[test]')"
    rm -f "$stamp"
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
        "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
    echo "$want" > "$stamp"
fi

# --- the prepared font (generator.pdf), cached under ~/.cache/xieyi --------------------------
if "$VENV/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("generator.pdf.__main__") is None)' 2>/dev/null \
   || "$VENV/bin/python" -c 'import importlib.util as u, sys; s = u.find_spec("generator.pdf"); sys.exit(s is None or s.submodule_search_locations is not None)' 2>/dev/null; then
    say "准备字体 / preparing the PDF font"
    "$VENV/bin/python" -m generator.pdf prepare-fonts
fi

# --- a second font set for the LibreOffice export tests (tests/test_parse_libreoffice.py) -----
# An institution exports its DOCX on a machine with fonts of its own: the tests export with
# the project's fonts and again with the ones Debian's LibreOffice and Chromium pull in
# (Liberation, DejaVu) and Noto CJK.  The packages are unpacked into the cache, not
# installed: the machine's own fonts stay as they are.
if (( with_libreoffice )); then
    fontset=${XDG_CACHE_HOME:-$HOME/.cache}/xieyi/fontsets/extra
    if [[ -f $fontset/.complete ]]; then
        say "第二套字体已就绪 / second font set present: $fontset"
    elif command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
        say "准备第二套字体 / preparing the second font set (Liberation, DejaVu, Noto CJK)"
        rm -rf "$fontset" && mkdir -p "$fontset/debs"
        if ( cd "$fontset/debs" && apt-get download -qq fonts-liberation fonts-liberation2 \
                 fonts-dejavu-core fonts-dejavu-extra fonts-noto-cjk >/dev/null 2>&1 ); then
            for deb in "$fontset"/debs/*.deb; do dpkg -x "$deb" "$fontset/root"; done
            rm -rf "$fontset/debs"
            touch "$fontset/.complete"
        else
            say "无法下载第二套字体，相关测试将跳过 / could not download the second font set"
        fi
    fi
fi

say "完成 / done"
