#pragma once
// The door to src/base: result/error types, assertions, configuration, logging, time, and the
// string, UTF-8 and encoding helpers every library shares (base depends on no other library).
#include "base/assert.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/internal_errors.h"
#include "base/log.h"
#include "base/result.h"
#include "base/strings.h"
#include "base/utf8.h"
