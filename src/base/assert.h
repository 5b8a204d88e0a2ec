#pragma once
// PM_ASSERT checks an invariant in debug builds. PM_RELEASE_ASSERT checks a state that must never
// happen in production either, and aborts loudly with the location and message.

#include <cstdio>
#include <cstdlib>

#define PM_RELEASE_ASSERT(cond, msg)                                                             \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "%s:%d: assertion failed: %s: %s\n", __FILE__, __LINE__, #cond, msg); \
      std::abort();                                                                              \
    }                                                                                            \
  } while (0)

#ifdef NDEBUG
#define PM_ASSERT(cond, msg) \
  do {                       \
  } while (0)
#else
#define PM_ASSERT(cond, msg) PM_RELEASE_ASSERT(cond, msg)
#endif
