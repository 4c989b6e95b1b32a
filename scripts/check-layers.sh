#!/usr/bin/env bash
# check-layers.sh: every source file uses only the layers that
# docs/architecture.md allows its own layer (the "may use" column).
#
# C++: each `#include "X"` is resolved to the layer folder that holds a file
# ending in X (the file's own folder first); Verilator's headers (V*.h,
# verilated*.h) are the layer "verilator". The model is two layers: its
# units (cmodel/src/units/ and the public headers of the units, listed in
# cmodel_units_headers) and its array model (cmodel/src/array/ and the
# other public headers); the other layers' rows name both as "cmodel". A
# C++ file in no layer folder (a model file outside units/ and array/) is
# a violation too. RTL: each instantiated fp8sa_* module is resolved to the
# rtl/ folder that holds its file (undefined names are the
# elaboration-error trick of the parameter checks, not modules).
# Prints one line per violation and exits 1; exits 0 with a summary line.
#
# usage: check-layers.sh [SOURCE_DIR]
set -uo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root"

# layer -> the layers it may use (besides itself); keep in step with the
# table of docs/architecture.md.
declare -A allow=(
  [cmodel/units]=""
  [cmodel/array]="cmodel/units"
  [explore]="cmodel"
  [host]="cmodel"
  [sim]="cmodel host verilator"
  [tb]="cmodel sim verilator"
  [tools]="cmodel explore host sim tb"
  [python/src]="cmodel explore host sim tools"
  [rtl/units]=""
  [rtl/array]="rtl/units"
  [rtl/board]="rtl/units rtl/array"
)
cxx_roots=(cmodel explore host sim tb tools python/src)
rtl_layers=(rtl/units rtl/array rtl/board)
# The public headers of the model's units (cmodel/include/fp8sa/ stays one
# folder: its include paths are the API); the others are the array model's.
cmodel_units_headers=" numerics.hpp lfsr.hpp pe.hpp mac_pe.hpp "

# cmodel_layer PATH: the model layer of a cmodel/ path; empty for none.
cmodel_layer() {
  case $1 in
    cmodel/src/units/*) echo cmodel/units ;;
    cmodel/src/array/*) echo cmodel/array ;;
    cmodel/include/fp8sa/*)
      case $cmodel_units_headers in *" $(basename "$1") "*) echo cmodel/units ;; *) echo cmodel/array ;; esac ;;
    *) echo "" ;;
  esac
}

# layer_of PATH: the layer a repository path lies in (longest folder match).
layer_of() {
  local p=$1 best="" l
  case $p in cmodel/*) cmodel_layer "$p"; return ;; esac
  for l in "${!allow[@]}"; do
    case $p in "$l"/*) [ ${#l} -gt ${#best} ] && best=$l ;; esac
  done
  echo "$best"
}

# may_use LAYER TARGET: TARGET is LAYER or in LAYER's row ("cmodel" there
# stands for both of the model's layers).
may_use() {
  local l=$1 t=$2 a
  [ "$t" = "$l" ] && return 0
  for a in ${allow[$l]}; do
    [ "$a" = "$t" ] && return 0
    if [ "$a" = cmodel ]; then case $t in cmodel/*) return 0 ;; esac; fi
  done
  return 1
}

bad=0 checked=0
complain() { echo "check-layers: $*"; bad=$((bad + 1)); }

# Every C++ source and header of the C++ layers, once (for resolving includes).
mapfile -t all_cxx < <(for l in "${cxx_roots[@]}"; do [ -d "$l" ] && find "$l" -type f \( -name '*.hpp' -o -name '*.h' -o -name '*.cpp' -o -name '*.in' \); done | sort)

for f in "${all_cxx[@]}"; do
  l=$(layer_of "$f")
  if [ -z "$l" ]; then
    complain "$f is in no layer folder of docs/architecture.md's map (model files: cmodel/src/units/ or cmodel/src/array/)"
    continue
  fi
  dir=$(dirname "$f")
  while IFS= read -r inc; do
    [ -n "$inc" ] || continue
    checked=$((checked + 1))
    case $(basename "$inc") in
      V*.h|verilated*.h|verilatedos.h) target=verilator ;;
      *)
        if [ -f "$dir/$inc" ]; then target=$(layer_of "$dir/$inc")
        else
          target=""
          for g in "${all_cxx[@]}"; do
            case $g in */"$inc") target=$(layer_of "$g"); break ;; esac
          done
          [ -n "$target" ] || target=generated
        fi ;;
    esac
    [ "$target" = generated ] && continue  # a header CMake writes (registries, protocol codes): its folder's own
    may_use "$l" "$target" && continue
    complain "$f includes \"$inc\" ($target): $l may use only ${allow[$l]:-itself}"
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done

# RTL: module -> folder.
declare -A mod_layer=()
for l in "${rtl_layers[@]}"; do
  [ -d "$l" ] || continue
  for f in "$l"/*.v; do
    [ -f "$f" ] || continue
    mod_layer[$(basename "$f" .v)]=$l
  done
done
for l in "${rtl_layers[@]}"; do
  [ -d "$l" ] || continue
  for f in "$l"/*.v; do
    [ -f "$f" ] || continue
    self=$(basename "$f" .v)
    # An instantiation: a line that starts with a module name followed by #( or an instance name.
    while IFS= read -r m; do
      [ "$m" = "$self" ] && continue
      target=${mod_layer[$m]:-}
      [ -n "$target" ] || continue
      checked=$((checked + 1))
      [ "$target" = "$l" ] && continue
      may_use "$l" "$target" && continue
      complain "$f instantiates $m ($target): $l may use only ${allow[$l]:-itself}"
    done < <(sed -n 's/^[[:space:]]*\(fp8sa_[a-z0-9_]*\)[[:space:]]*\(#\|[a-z_][a-z0-9_]*[[:space:]]*(\).*/\1/p' "$f" | sort -u)
  done
done

if [ $bad -gt 0 ]; then
  echo "check-layers: $bad uses outside docs/architecture.md's map"
  exit 1
fi
echo "check-layers: $checked includes and instantiations, all within docs/architecture.md's map"
