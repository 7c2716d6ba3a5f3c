# Sourced by scripts/test.sh and scripts/check-k8s.sh.
#
# ensure_venv DIR REQUIREMENTS [NO_DEPS_REQUIREMENTS]
#   Makes the virtualenv DIR from a requirements file, and again whenever the
#   file changes (its hash is kept in DIR/.requirements). The optional second
#   file is installed with --no-deps (packages whose declared dependencies
#   must not be pulled in).
ensure_venv() {
  local venv=$1 want
  want="$(cat "${@:2}" | sha256sum | cut -c1-16)"
  [[ "$(cat "$venv/.requirements" 2>/dev/null)" == "$want" ]] && return 0
  echo "== preparing $venv (${*:2})"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$2"
  if (($# > 2)); then
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$3"
  fi
  echo "$want" > "$venv/.requirements"
}
