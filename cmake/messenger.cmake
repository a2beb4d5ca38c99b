# Helpers shared by every module.

# messenger_library(<name> SOURCES ... DEPS ...): a module library with the
# project's warnings; the repository root is the include root.
function(messenger_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${MESSENGER_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# messenger_executable(<name> <main.cc> DEPS ...): a server binary. Servers use
# jemalloc: glibc malloc was 15 % of the messaging path's CPU across gRPC's
# threads, and jemalloc cut the server's CPU per message by about 12 %.
# (Sanitizer builds keep the sanitizer's allocator.)
function(messenger_executable name main)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  add_executable(${name} ${main})
  target_compile_options(${name} PRIVATE ${MESSENGER_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  if(NOT MESSENGER_SANITIZE)
    target_link_libraries(${name} PRIVATE PkgConfig::JEMALLOC)
  endif()
endfunction()

# messenger_test(<name> SOURCES ... DEPS ... [LABELS ...] [PROPERTIES k v ...]): a GoogleTest binary
# whose tests ctest discovers one by one.
function(messenger_test name)
  if(NOT MESSENGER_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MESSENGER_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  # LABELS go in a script of their own, run after discovery: passed through
  # gtest_discover_tests, two labels ("e2e;matrix") lose their list quoting and
  # "matrix" is read as a property name, dropping every property after it.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30 TEST_LIST ${name}_TESTS
                       PROPERTIES TIMEOUT 300 ${ARG_PROPERTIES})
  set(labels_script "${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake")
  file(WRITE "${labels_script}"
       "if(${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${labels_script}")
  # The sanitizer pass builds only these (target unit_storage_tests).
  if(ARG_LABELS MATCHES "^(unit|storage)$")
    set_property(GLOBAL APPEND PROPERTY MESSENGER_UNIT_STORAGE_TESTS ${name})
  endif()
endfunction()

# messenger_proto_library(<name> PROTOS ... DEPS ...): C++ and gRPC code for
# the given files under proto/ (paths relative to proto/).
function(messenger_proto_library name)
  cmake_parse_arguments(ARG "" "" "PROTOS;DEPS" ${ARGN})
  set(out_dir ${PROJECT_BINARY_DIR}/proto_gen)
  file(MAKE_DIRECTORY ${out_dir})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin IMPORTED_LOCATION_NONE)
  if(NOT grpc_plugin)
    find_program(grpc_plugin grpc_cpp_plugin REQUIRED)
  endif()
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    set(gen ${out_dir}/${base}.pb.cc ${out_dir}/${base}.pb.h
            ${out_dir}/${base}.grpc.pb.cc ${out_dir}/${base}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND protobuf::protoc
        --proto_path=${PROJECT_SOURCE_DIR}/proto
        --cpp_out=${out_dir} --grpc_out=${out_dir}
        --plugin=protoc-gen-grpc=${grpc_plugin}
        ${PROJECT_SOURCE_DIR}/proto/${proto}
      DEPENDS ${PROJECT_SOURCE_DIR}/proto/${proto} protobuf::protoc
      COMMENT "protoc ${proto}")
    list(APPEND srcs ${gen})
  endforeach()
  add_library(${name} STATIC ${srcs})
  # Generated code: not ours to warn about.
  target_include_directories(${name} SYSTEM PUBLIC ${out_dir})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
endfunction()

# messenger_migrations(<name> COMPONENT <c> FUNCTION <f> DIR <dir>): a library
# that embeds the SQL files V<nnn>__<name>.sql of <dir> and exposes them as
# `const messenger::pg::Migrations& messenger::pg::<f>()` from "<name>.h".
function(messenger_migrations name)
  cmake_parse_arguments(ARG "" "COMPONENT;FUNCTION;DIR" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS ${ARG_DIR}/V*.sql)
  list(SORT sql_files)
  # A ';' would split the command line: hand the list over with '|'.
  string(REPLACE ";" "|" sql_arg "${sql_files}")
  set(out_cc ${CMAKE_CURRENT_BINARY_DIR}/${name}.cc)
  set(out_h ${CMAKE_CURRENT_BINARY_DIR}/${name}.h)
  add_custom_command(
    OUTPUT ${out_cc} ${out_h}
    COMMAND ${CMAKE_COMMAND} -DOUT_CC=${out_cc} -DOUT_H=${out_h} -DCOMPONENT=${ARG_COMPONENT} -DFUNCTION=${ARG_FUNCTION}
            "-DSQL_FILES=${sql_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    DEPENDS ${sql_files} ${PROJECT_SOURCE_DIR}/cmake/embed_migrations.cmake
    COMMENT "embedding migrations of ${ARG_COMPONENT}"
    VERBATIM)
  add_library(${name} STATIC ${out_cc})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC common_pg)
endfunction()
