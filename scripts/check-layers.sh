#!/usr/bin/env bash
# check-layers.sh: every source file uses only the layers that
# docs/architecture.md allows its own layer (the "may use" column).
#
# C++: each `#include "X"` is resolved to the layer folder that holds a file
# ending in X (the file's own folder first); Verilator's headers (V*.h,
# verilated*.h) are the layer "verilator". RTL: each instantiated fp8sa_*
# module is resolved to the rtl/ folder that holds its file (undefined names
# are the elaboration-error trick of the parameter checks, not modules).
# Prints one line per violation and exits 1; exits 0 with a summary line.
#
# usage: check-layers.sh [SOURCE_DIR]
set -uo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root"

# layer folder -> the layers it may use (besides itself); keep in step with
# the table of docs/architecture.md.
declare -A allow=(
  [cmodel]=""
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
cxx_layers=(cmodel explore host sim tb tools python/src)
rtl_layers=(rtl/units rtl/array rtl/board)

# layer_of PATH: the layer folder a repository path lies in (longest match).
layer_of() {
  local p=$1 best="" l
  for l in "${!allow[@]}"; do
    case $p in "$l"/*) [ ${#l} -gt ${#best} ] && best=$l ;; esac
  done
  echo "$best"
}

bad=0 checked=0
complain() { echo "check-layers: $*"; bad=$((bad + 1)); }

# Every C++ source and header of the C++ layers, once (for resolving includes).
mapfile -t all_cxx < <(for l in "${cxx_layers[@]}"; do [ -d "$l" ] && find "$l" -type f \( -name '*.hpp' -o -name '*.h' -o -name '*.cpp' -o -name '*.in' \); done | sort)

for l in "${cxx_layers[@]}"; do
  [ -d "$l" ] || continue
  while IFS= read -r f; do
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
            [ -n "$target" ] || { [ -f "build/$inc" ] || true; target=generated; }
          fi ;;
      esac
      [ "$target" = generated ] && continue  # a header CMake writes (registries, protocol codes): its folder's own
      [ "$target" = "$l" ] && continue
      case " ${allow[$l]} " in *" $target "*) continue ;; esac
      complain "$f includes \"$inc\" ($target): $l may use only ${allow[$l]:-itself}"
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done < <(find "$l" -type f \( -name '*.hpp' -o -name '*.h' -o -name '*.cpp' -o -name '*.in' \) | sort)
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
      case " ${allow[$l]} " in *" $target "*) continue ;; esac
      complain "$f instantiates $m ($target): $l may use only ${allow[$l]:-itself}"
    done < <(sed -n 's/^[[:space:]]*\(fp8sa_[a-z0-9_]*\)[[:space:]]*\(#\|[a-z_][a-z0-9_]*[[:space:]]*(\).*/\1/p' "$f" | sort -u)
  done
done

if [ $bad -gt 0 ]; then
  echo "check-layers: $bad uses outside docs/architecture.md's map"
  exit 1
fi
echo "check-layers: $checked includes and instantiations, all within docs/architecture.md's map"
