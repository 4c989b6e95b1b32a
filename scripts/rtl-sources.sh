# shellcheck shell=bash
# The RTL's file list and include folders, in one place for every shell
# consumer (lint, synth, formal helpers, FPGA, X-propagation, tests).
# Source it, then:
#   rtl_sources DIR   the module files of the RTL tree DIR (rtl/units, rtl/array,
#                     rtl/board by layer; a flat tree of an older commit, given
#                     to synth/area.sh --rtl, as DIR/*.v)
#   rtl_incs DIR      the include options: -IDIR (fp8sa_pkg.vh, fp8sa_widths.vh)
#                     and -IDIR/board (fp8sa_host_protocol.vh)
# CMake keeps the same list in FP8SA_RTL_SOURCES / FP8SA_RTL_INCLUDE_DIRS.
rtl_sources() {
  local d=$1
  if [ -d "$d/units" ]; then
    echo "$d"/units/*.v "$d"/array/*.v "$d"/board/*.v
  else
    echo "$d"/*.v
  fi
}
rtl_incs() {
  local d=$1
  if [ -d "$d/board" ]; then echo "-I$d -I$d/board"; else echo "-I$d"; fi
}
