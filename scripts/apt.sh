# Debian package helpers shared by the set-up scripts (sourced, not run).
# The package index is updated at most once per set-up run: the first script
# that needs it exports UMQTT_APT_UPDATED, which the scripts it calls inherit.
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

apt_update_once() {
    [ -n "${UMQTT_APT_UPDATED:-}" ] && return 0
    $SUDO apt-get update -qq || true
    export UMQTT_APT_UPDATED=1
}

# Install those of the named packages that are missing. Leading options
# (e.g. --no-install-recommends) go to apt-get.
apt_install() {
    local opts=() missing=()
    while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do opts+=("$1"); shift; done
    for p in "$@"; do have_pkg "$p" || missing+=("$p"); done
    if [ ${#missing[@]} -eq 0 ]; then echo "all present"; return 0; fi
    echo "installing: ${missing[*]}"
    apt_update_once
    $SUDO apt-get install -y "${opts[@]}" "${missing[@]}"
}
