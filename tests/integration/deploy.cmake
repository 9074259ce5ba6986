# deploy/ integration tests: `estel profile` end to end (plistutil, OpenSSL
# PKCS#12, config check round trip) and the macOS packaging checked on
# Linux (generated plists, build-pkg.sh --dry-run, eslogger wrapper,
# systemd unit).
if(TARGET estel_deploy)
  estel_add_script_test(NAME deploy_profile
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/deploy_profile.sh TIMEOUT 120)
  estel_add_script_test(NAME deploy_macos
    SCRIPT ${CMAKE_CURRENT_LIST_DIR}/deploy_macos.sh TIMEOUT 120)
  set_tests_properties(deploy_profile deploy_macos PROPERTIES SKIP_RETURN_CODE 77)
endif()
