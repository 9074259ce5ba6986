# deploy/ unit tests: the .mobileconfig generator and the bundle files
# CMake generates from deploy/macos/*.in (tests/unit/test_profile.c).
if(TARGET estel_deploy)
  estel_add_unit_test(NAME test_profile
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_profile.c
    LIBS estel_deploy OpenSSL::Crypto PkgConfig::PLIST)
  target_compile_definitions(test_profile PRIVATE
    ESTEL_DEPLOY_GEN_DIR="${PROJECT_BINARY_DIR}/deploy/generated"
    ESTEL_TEST_TEAM_ID="${ESTEL_TEAM_ID}")
endif()
