# Verilator at configure time, on every core.
#
# Verilator's CMake package runs Verilator inside verilate(), at configure
# time, one model after another: with about 50 models that was 98 s of a
# fresh configure on one core of the 2-core CI machine (2026-12-07). Here the
# calls are recorded first (fp8sa_verilate_later, the arguments of verilate()
# after its target) and fp8sa_verilate_flush(TARGET) runs the out-of-date
# ones in parallel, then calls verilate() for each in order. verilate() finds
# its outputs and its argument file up to date and does not run Verilator
# again; it still adds the sources, include directories, flags and the
# build-time rule that re-runs Verilator when an RTL file changes.
#
# The command is composed as verilate() composes it (verilator-config.cmake
# of Verilator 5.006, the version install-deps.sh installs). If another
# version composes it differently, verilate() sees a different argument file
# and runs Verilator itself, one model at a time as before: slower, never
# wrong. A model whose parallel run fails is left to verilate() too, which
# prints Verilator's message and stops the configure.

function(fp8sa_verilate_later)
  # The model's name is PREFIX's value, which must come first.
  if(NOT ARGV0 STREQUAL "PREFIX")
    message(FATAL_ERROR "fp8sa_verilate_later: the first argument must be PREFIX <name>")
  endif()
  set_property(DIRECTORY APPEND PROPERTY FP8SA_VL_LATER_IDS ${ARGV1})
  set_property(DIRECTORY PROPERTY FP8SA_VL_LATER_${ARGV1} "${ARGV}")
endfunction()

# Shell-quotes each argument after out, into out (one string).
function(_fp8sa_sh_quote out)
  set(s "")
  foreach(a ${ARGN})
    string(REPLACE "'" "'\\''" a "${a}")
    string(APPEND s " '${a}'")
  endforeach()
  set(${out} "${s}" PARENT_SCOPE)
endfunction()

function(fp8sa_verilate_flush target)
  get_property(ids DIRECTORY PROPERTY FP8SA_VL_LATER_IDS)
  get_target_property(bin_dir ${target} BINARY_DIR)
  string(TOLOWER ${CMAKE_CXX_COMPILER_ID} compiler)
  if(NOT compiler MATCHES "^msvc$|^clang$")
    set(compiler gcc)
  endif()
  set(batch_dir ${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${target}.verilate-batch)
  file(REMOVE_RECURSE ${batch_dir})
  file(MAKE_DIRECTORY ${batch_dir})
  set(scripts "")
  set(stale "")
  foreach(id ${ids})
    get_property(args DIRECTORY PROPERTY FP8SA_VL_LATER_${id})
    cmake_parse_arguments(V "COVERAGE;TRACE;TRACE_FST;SYSTEMC;TRACE_STRUCTS"
                            "PREFIX;TOP_MODULE;THREADS;TRACE_THREADS;DIRECTORY"
                            "SOURCES;VERILATOR_ARGS;INCLUDE_DIRS;OPT_SLOW;OPT_FAST;OPT_GLOBAL" ${args})
    if(V_THREADS OR V_TRACE_THREADS OR V_COVERAGE OR V_TRACE_FST OR V_TRACE_STRUCTS OR V_DIRECTORY)
      message(FATAL_ERROR "fp8sa_verilate_flush: ${id}: only PREFIX, TOP_MODULE, TRACE, SYSTEMC, SOURCES, "
                          "INCLUDE_DIRS, VERILATOR_ARGS and OPT_* are composed here")
    endif()
    set(vargs "")
    if(V_TOP_MODULE)
      list(APPEND vargs --top ${V_TOP_MODULE})
    endif()
    if(V_TRACE)
      list(APPEND vargs --trace)
    endif()
    if(V_SYSTEMC)
      list(APPEND vargs --sc)
    else()
      list(APPEND vargs --cc)
    endif()
    foreach(inc ${V_INCLUDE_DIRS})
      list(APPEND vargs -y "${inc}")
    endforeach()
    set(vdir "${bin_dir}/CMakeFiles/${target}.dir/${V_PREFIX}.dir")
    set(cmd "${VERILATOR_BIN}" --compiler ${compiler} --prefix ${V_PREFIX} --Mdir ${vdir} --make cmake
            ${vargs} ${V_VERILATOR_ARGS} ${V_SOURCES})
    set(old "")
    if(EXISTS "${vdir}/verilator_args.txt" AND EXISTS "${vdir}/${V_PREFIX}_copy.cmake")
      file(READ "${vdir}/verilator_args.txt" old)
    endif()
    if(NOT old STREQUAL cmd)
      file(MAKE_DIRECTORY ${vdir})
      _fp8sa_sh_quote(q ${cmd})
      file(WRITE ${batch_dir}/${id}.sh "cd '${CMAKE_CURRENT_SOURCE_DIR}' &&${q} > '${batch_dir}/${id}.log' 2>&1\necho $? > '${batch_dir}/${id}.rc'\n")
      string(APPEND scripts "${batch_dir}/${id}.sh\n")
      list(APPEND stale ${id})
      set(_cmd_${id} "${cmd}")
      set(_vdir_${id} "${vdir}")
    endif()
  endforeach()
  list(LENGTH stale n_stale)
  if(n_stale GREATER 1)
    cmake_host_system_information(RESULT ncpu QUERY NUMBER_OF_LOGICAL_CORES)
    message(STATUS "Verilating ${n_stale} models of ${target} on ${ncpu} cores")
    file(WRITE ${batch_dir}/scripts.txt "${scripts}")
    execute_process(COMMAND xargs -d "\n" -P ${ncpu} -n 1 sh
                    INPUT_FILE ${batch_dir}/scripts.txt
                    RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    # Each model that Verilator finished: what verilate() writes after its
    # own run (the file list's copy and the argument file). The others are
    # left out of date for verilate() to run and report.
    foreach(id ${stale})
      set(vdir ${_vdir_${id}})
      set(vrc 1)
      if(EXISTS ${batch_dir}/${id}.rc)
        file(STRINGS ${batch_dir}/${id}.rc vrc)
      endif()
      if(vrc STREQUAL "0" AND EXISTS "${vdir}/${id}.cmake")
        file(READ "${vdir}/${id}.cmake" vcmake)
        file(WRITE "${vdir}/${id}_copy.cmake" "${vcmake}")
        file(WRITE "${vdir}/verilator_args.txt" "${_cmd_${id}}")
      endif()
    endforeach()
  endif()
  foreach(id ${ids})
    get_property(args DIRECTORY PROPERTY FP8SA_VL_LATER_${id})
    verilate(${target} ${args})
  endforeach()
  set_property(DIRECTORY PROPERTY FP8SA_VL_LATER_IDS "")
endfunction()
