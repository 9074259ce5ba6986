# spool/: kill -9 loops, a filling tmpfs, strace-injected write faults.
if(TARGET estel_spool)
  estel_add_script_test(NAME spool_crash
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/spool_crash.sh TIMEOUT 900)
  estel_add_script_test(NAME spool_diskfull
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/spool_diskfull.sh TIMEOUT 300)
  estel_add_script_test(NAME spool_faults
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/spool_faults.sh TIMEOUT 300)
  # no python3-msgpack, no tmpfs mount, no strace: reported as skipped
  set_tests_properties(spool_crash spool_diskfull spool_faults
    PROPERTIES SKIP_RETURN_CODE 77)
endif()
