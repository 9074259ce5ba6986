# The eslogger parser (test_eslogger) and the line reader + source
# (test_eslogger_source).  The real eslogger lines come from
# $ESTEL_SHARED_DATA; the tests that need them are skipped without it.
foreach(t test_eslogger test_eslogger_source)
  estel_add_unit_test(NAME ${t}
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c LIBS estel_collector)
  target_compile_definitions(${t} PRIVATE
    ESTEL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data/eslogger")
endforeach()
