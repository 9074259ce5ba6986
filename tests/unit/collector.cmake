estel_add_unit_test(NAME test_ring
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring.c LIBS estel_common)
estel_add_unit_test(NAME test_record
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_record.c LIBS estel_collector)
