# spool/: the batch file format, the directory, limits, reader, batcher.
if(TARGET estel_spool)
  estel_add_unit_test(NAME test_spool
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spool.c LIBS estel_spool)
  # write faults injected at the seams (estel_fsync_file, write)
  estel_add_unit_test(NAME test_spool_io
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_spool_io.c LIBS estel_spool
    WRAP estel_fsync_file write)
endif()
