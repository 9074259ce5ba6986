estel_add_script_test(NAME convert_handwritten
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/convert.sh ARGS handwritten TIMEOUT 120)
estel_add_script_test(NAME convert_real
  SCRIPT ${CMAKE_CURRENT_LIST_DIR}/convert.sh ARGS real TIMEOUT 120)
# no shared data: reported as skipped, not passed
set_tests_properties(convert_real PROPERTIES SKIP_RETURN_CODE 77)
