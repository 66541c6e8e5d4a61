# tnas_add_test(NAME name SOURCES a.cc b.cc [LIBS lib...] [LABELS l...] [TIMEOUT s])
# One executable per suite, registered with CTest. GoogleTest's main comes from gtest_main unless
# the suite brings its own.
function(tnas_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gmock GTest::gtest_main)
  target_include_directories(${T_NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}")
endfunction()

# Adds every immediate subdirectory of the current source dir that has a CMakeLists.txt, so a new
# module folder needs no edit to its parent. `tnas_add_subdirectories(FIRST a b)` adds a and b
# before the others (alphabetical), for folders whose targets others test with if(TARGET …).
macro(tnas_add_subdirectories)
  cmake_parse_arguments(_TNAS_SUB "" "" "FIRST" ${ARGN})
  file(GLOB _tnas_children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _tnas_children)
  if(_TNAS_SUB_FIRST)
    list(REMOVE_ITEM _tnas_children ${_TNAS_SUB_FIRST})
    list(PREPEND _tnas_children ${_TNAS_SUB_FIRST})
  endif()
  foreach(_child ${_tnas_children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${_child}
       AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_child}/CMakeLists.txt)
      add_subdirectory(${_child})
    endif()
  endforeach()
endmacro()
