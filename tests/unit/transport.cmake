# transport/ unit tests: pure pieces of the uploader (classification,
# Retry-After, backoff and pace, TLS material, headers, state file).  The
# real uploader against nginx is in tests/integration/transport_*.sh.
if(TARGET estel_transport)
  foreach(t response backoff tls state)
    estel_add_unit_test(NAME test_transport_${t}
      SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_transport_${t}.c
      LIBS estel_transport)
  endforeach()
endif()
