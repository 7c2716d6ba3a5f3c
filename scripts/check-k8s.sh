#!/usr/bin/env bash
# Static checks of the deployment, offline:
#   1. renders every kustomize overlay in k8s/overlays with `kubectl kustomize`;
#   2. validates every rendered object strictly (unknown fields are errors)
#      against each Kubernetes schema from 1.30 to the newest that PyPI
#      kubernetes-validate ships. An object it has no schema for (e.g. an
#      extensions/v1beta1 Deployment) is only a warning there: here it fails;
#   3. runs checkov over the rendered manifests and the Dockerfile; any
#      failed check not skipped, with its reason, in k8s/checkov.yaml fails;
#   4. shows it can fail: every case in k8s/tests/must-fail must be refused,
#      with the message in its `expect` file.
#
# Secrets: overlays are rendered from their committed examples (.env.example,
# users.example), in a temporary copy; a real .env or users file is never read.
#
# Usage: scripts/check-k8s.sh [DIR...]  (directories to check as overlays or
# Dockerfile folders; default: all of the above)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

venv="${YOLOO_K8S_VENV:-${YOLOO_CACHE:-$HOME/.cache/yoloo}/k8s-venv}"
source scripts/venv.sh
ensure_venv "$venv" scripts/requirements-k8s.txt
if ! command -v kubectl >/dev/null; then
  echo "check-k8s: kubectl is needed to render kustomize overlays (apt-get install kubectl," >&2
  echo "from the Kubernetes or Google Cloud apt repository; .ci/run tries that)" >&2
  exit 2
fi

# Kubernetes versions to validate against: 1.30 and every newer one shipped.
schemas="$("$venv/bin/python" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))')/kubernetes-json-schema"
versions=()
for d in "$schemas"/v1.*.0-local-strict; do
  v="${d##*/v}"
  v="${v%-local-strict}"
  minor="${v#1.}"
  minor="${minor%.0}"
  ((minor >= 30)) && versions+=("$v")
done
((${#versions[@]})) || { echo "check-k8s: no schema for Kubernetes 1.30 or newer in $schemas" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r k8s "$work/k8s"
find "$work/k8s" \( -name .env -o -name users \) -type f -delete
while IFS= read -r example; do cp "$example" "${example%.example}"; done \
  < <(find "$work/k8s" \( -name .env.example -o -name users.example \))

checkov=("$venv/bin/checkov" --config-file "$root/k8s/checkov.yaml" --skip-download --compact --quiet)
export ANSI_COLORS_DISABLED=1

# Validates one rendered manifest file: every object against every version.
validate_schemas() {
  local file=$1 objects out v passed bad=0
  objects=$(grep -c '^kind:' "$file" || true)
  for v in "${versions[@]}"; do
    out="$("$venv/bin/kubernetes-validate" --strict -k "$v" "$file" 2>&1)" || bad=1
    passed=$(grep -c '^INFO .* passed for resource' <<<"$out" || true)
    if grep -v '^INFO ' <<<"$out" | grep -q .; then
      grep -v '^INFO ' <<<"$out"
      bad=1
    fi
    if ((passed != objects)); then
      echo "Kubernetes $v: $passed of $objects objects passed"
      bad=1
    fi
  done
  ((bad == 0)) && echo "schemas: $objects objects valid against Kubernetes ${versions[0]}..${versions[-1]} (strict)"
  return "$bad"
}

# Checks one directory: a kustomization (rendered, then validated and
# policy-checked) and/or a Dockerfile (policy-checked).
check_dir() {
  local dir=$1 name rendered bad=0
  name="$(tr / - <<<"${dir#"$work"/}")"
  if [[ -e $dir/kustomization.yaml ]]; then
    rendered="$work/rendered/$name.yaml"
    mkdir -p "$work/rendered"
    kubectl kustomize "$dir" > "$rendered" || return 1
    validate_schemas "$rendered" || bad=1
    "${checkov[@]}" --framework kubernetes -f "$rendered" || bad=1
  fi
  if [[ -e $dir/Dockerfile ]]; then
    "${checkov[@]}" --framework dockerfile -f "$dir/Dockerfile" || bad=1
  fi
  return "$bad"
}

if (($#)); then
  targets=()
  for d in "$@"; do targets+=("$(cd "$d" && pwd)"); done
  must_fail=()
else
  targets=("$work"/k8s/overlays/*/ "$root")
  must_fail=("$work"/k8s/tests/must-fail/*/)
fi

failed=0
for dir in "${targets[@]}"; do
  dir="${dir%/}"
  echo "== check ${dir#"$work"/}"
  if check_dir "$dir"; then
    echo "ok"
  else
    echo "FAILED: ${dir#"$work"/}"
    failed=1
  fi
done

for dir in "${must_fail[@]}"; do
  dir="${dir%/}"
  expect="$(cat "$dir/expect")"
  echo "== must fail: ${dir#"$work"/} (expecting: $expect)"
  if out="$(check_dir "$dir" 2>&1)"; then
    echo "$out"
    echo "FAILED: the check passed a broken fixture"
    failed=1
  elif ! grep -qF -- "$expect" <<<"$out"; then
    echo "$out"
    echo "FAILED: refused, but not with '$expect'"
    failed=1
  else
    echo "refused, as it should be"
  fi
done

if ((failed)); then
  echo "check-k8s: FAILED" >&2
  exit 1
fi
echo "check-k8s: all passed"
