# ingest: the batch maker the shell tests use, and the tests themselves.
# Each script gets the maker's path as its first argument.
if(TARGET estel_ingest)
  add_executable(ingest_mkbatch
    ${CMAKE_CURRENT_LIST_DIR}/ingest_mkbatch.c)
  target_link_libraries(ingest_mkbatch PRIVATE estel_collector
    PkgConfig::ZSTD PkgConfig::XXHASH)
  foreach(t ingest_hostile ingest_modes ingest_restart e2e_pipeline
            e2e_agent_kill e2e_ingest_restart)
    if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${t}.sh)
      estel_add_script_test(NAME ${t}
        SCRIPT ${CMAKE_CURRENT_LIST_DIR}/${t}.sh
        ARGS $<TARGET_FILE:ingest_mkbatch>
        TIMEOUT 120)
    endif()
  endforeach()
endif()
