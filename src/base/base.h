#pragma once
// The door to src/base: result/error types, assertions, configuration, logging and time.
#include "base/assert.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/config.h"
#include "base/internal_errors.h"
#include "base/log.h"
#include "base/result.h"
