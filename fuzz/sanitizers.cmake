# Compile flags of the fuzz tree (GRADSTREAM_FUZZ): AddressSanitizer and
# UndefinedBehaviorSanitizer on every source below, with libFuzzer's coverage
# instrumentation; a UB report aborts, so the fuzzer counts it as a crash.
# oneDNN, protobuf and zlib are system libraries and stay uninstrumented.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "GRADSTREAM_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++-14), not "
                      "${CMAKE_CXX_COMPILER_ID}")
endif()
set(GRADSTREAM_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=undefined)
add_compile_options(${GRADSTREAM_SANITIZERS} -fsanitize=fuzzer-no-link -fno-omit-frame-pointer -g)
add_link_options(${GRADSTREAM_SANITIZERS})
