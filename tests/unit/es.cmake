# ES source tests (collector/es).  Like collector/es itself they need
# clang (-fblocks) and are skipped with other compilers.
if(NOT (CMAKE_C_COMPILER_ID STREQUAL "Clang" OR
        CMAKE_C_COMPILER_ID STREQUAL "AppleClang") OR NOT TARGET estel_es)
  return()
endif()

set(ESTEL_ES_TEST_UTIL ${CMAKE_CURRENT_LIST_DIR}/test_es_util.c)
foreach(t test_es_convert test_es_seq test_es_compat)
  estel_add_unit_test(NAME ${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c ${ESTEL_ES_TEST_UTIL}
    LIBS estel_es)
endforeach()
# reads the log lines through -Wl,--wrap=estel_log_sink
estel_add_unit_test(NAME test_es_client
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_es_client.c ${ESTEL_ES_TEST_UTIL}
  LIBS estel_es WRAP estel_log_sink)

# Same record from both sources: needs the eslogger parser and jansson (an
# independent JSON reader to rebuild the es_message_t from each line).
pkg_check_modules(JANSSON IMPORTED_TARGET jansson)
if(JANSSON_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/collector/eslogger.c)
  estel_add_unit_test(NAME test_es_parity
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_es_parity.c ${ESTEL_ES_TEST_UTIL}
    LIBS estel_es PkgConfig::JANSSON)
  target_compile_definitions(test_es_parity PRIVATE
    ESTEL_SHARED_DATA_DIR="${ESTEL_SHARED_DATA}")
else()
  message(STATUS "test_es_parity: skipped (needs jansson and "
                 "collector/eslogger.c)")
endif()

# estel-sysex end to end (fake ES runtime): start, SIGTERM, exit codes.
if(TARGET estel-sysex)
  estel_add_unit_test(NAME test_es_sysex
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_es_sysex.c)
  add_dependencies(test_es_sysex estel-sysex)
  target_compile_definitions(test_es_sysex PRIVATE
    ESTEL_SYSEX_BIN="$<TARGET_FILE:estel-sysex>")
endif()
