estel_add_unit_test(NAME test_eslogger
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_eslogger.c LIBS estel_collector)
target_compile_definitions(test_eslogger PRIVATE
  ESTEL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data/eslogger")
