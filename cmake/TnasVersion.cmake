# The version every binary reports: the project version plus the git commit when there is one.
find_package(Git QUIET)
set(TNAS_GIT_COMMIT "unknown")
if(GIT_FOUND AND EXISTS "${PROJECT_SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _commit
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND _commit)
    set(TNAS_GIT_COMMIT "${_commit}")
  endif()
endif()
set(TNAS_VERSION "${PROJECT_VERSION}")
configure_file(${PROJECT_SOURCE_DIR}/common/version.h.in ${PROJECT_BINARY_DIR}/generated/common/version.h @ONLY)
