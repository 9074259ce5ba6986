# config/ unit tests (tests/unit/test_config.c); fixtures in tests/data/config/.
estel_add_unit_test(NAME test_config
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_config.c
  LIBS estel_config)
# the fixtures and config/estel.plist.example are read from the source tree
get_filename_component(ESTEL_CONFIG_TEST_SRC "${CMAKE_CURRENT_LIST_DIR}/../.."
                       ABSOLUTE)
target_compile_definitions(test_config PRIVATE
  ESTEL_SRC_DIR="${ESTEL_CONFIG_TEST_SRC}")
