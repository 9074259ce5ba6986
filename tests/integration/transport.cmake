# transport/ integration tests: the real uploader (bench/upload's
# estel-upload drives transport + spool) against a private nginx with
# mutual TLS, a scripted Python backend, tinyproxy and network namespaces.
# Exit 77 = skipped (missing tool, no permission for namespaces).
if(TARGET estel_transport)
  if(NOT TARGET estel-upload)
    add_executable(estel-upload
      ${CMAKE_CURRENT_LIST_DIR}/../../bench/upload/upload_tool.c)
    target_link_libraries(estel-upload PRIVATE estel_transport estel_spool
      estel_config estel_common PkgConfig::CURL)
  endif()
  foreach(t responses tls rotation proxy netcut)
    estel_add_script_test(NAME transport_${t}
      SCRIPT ${CMAKE_CURRENT_LIST_DIR}/transport_${t}.sh TIMEOUT 120
      LABELS "integration;transport")
    set_property(TEST transport_${t} APPEND PROPERTY ENVIRONMENT
      "ESTEL_UPLOAD=$<TARGET_FILE:estel-upload>")
    set_tests_properties(transport_${t} PROPERTIES SKIP_RETURN_CODE 77)
  endforeach()
endif()
