# Warnings for Slipway's own targets (not for third-party headers).
function(slipway_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wimplicit-fallthrough -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety -Werror=thread-safety-analysis)
  endif()
endfunction()

# slipway_library(name SOURCES ... DEPS ...): one library per folder under src/.
function(slipway_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(slipway_${name} STATIC ${ARG_SOURCES})
  target_include_directories(slipway_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(slipway_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  slipway_warnings(slipway_${name})
endfunction()
