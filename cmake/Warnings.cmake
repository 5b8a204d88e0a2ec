add_library(pushmail_warnings INTERFACE)
target_compile_options(pushmail_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror
  -Wno-missing-field-initializers)
# Asio's coroutine support and sanitizers both want these everywhere.
target_compile_definitions(pushmail_warnings INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_CONCEPTS SPDLOG_FMT_EXTERNAL)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # -Wrestrict: GCC 12 warns falsely on `"literal" + std::string` at -O3 (GCC PR 105651).
  target_compile_options(pushmail_warnings INTERFACE -fcoroutines -Wno-restrict)
endif()
if(PUSHMAIL_TSAN)
  # -Wno-tsan: GCC warns that TSan does not model Asio's std::atomic_thread_fence; Asio's
  # handlers are also ordered by the scheduler's mutex, which TSan does see.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
endif()
if(PUSHMAIL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
