# CTest driver: install the already-built project into a temporary prefix, configure and build
# tests/install against it with find_package(libnlp), and run the example on a fixture.
# Variables: BUILD_DIR, SOURCE_DIR (this folder), WORK_DIR, FIXTURE_DIR, LAUNCHER (optional).
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
set(launcher "")
if(LAUNCHER)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -DCMAKE_BUILD_TYPE=Release
                        "-DCMAKE_PREFIX_PATH=${prefix}" ${launcher}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "configuring the out-of-tree example failed (${rc})")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${WORK_DIR}/build" RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "building the out-of-tree example failed (${rc})")
endif()
execute_process(COMMAND "${WORK_DIR}/build/example" "${FIXTURE_DIR}" "${FIXTURE_DIR}/inputs_outputs.safetensors"
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the out-of-tree example failed (${rc})")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
