# spool/: the batch file format, the directory, limits, reader, batcher.
if(TARGET estel_spool)
  estel_add_unit_test(NAME test_spool
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spool.c LIBS estel_spool)
endif()
