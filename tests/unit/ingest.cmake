# ingest/: the decoder (test_ingest.c) and the mappers (test_ingest_map.c),
# checked with jansson as an independent JSON reader, the output files and the dedupe
# log (test_ingest_store.c, faults injected by wrapping write and fsync).
if(NOT TARGET estel_ingest)
  return()
endif()
pkg_check_modules(JANSSON IMPORTED_TARGET jansson)
if(JANSSON_FOUND)
  foreach(t test_ingest test_ingest_map)
    estel_add_unit_test(NAME ${t}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c
              ${CMAKE_CURRENT_LIST_DIR}/ingest_check.c
      LIBS estel_ingest PkgConfig::JANSSON PkgConfig::MSGPACK
           PkgConfig::ZSTD PkgConfig::XXHASH)
  endforeach()
else()
  message(STATUS "test_ingest: skipped (needs jansson: libjansson-dev)")
endif()
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_ingest_store.c)
  estel_add_unit_test(NAME test_ingest_store
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest_store.c
    LIBS estel_ingest
    WRAP write estel_fsync_file)
endif()
