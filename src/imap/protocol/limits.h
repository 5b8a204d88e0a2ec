#pragma once
// Limits on what one IMAP client may send. Every field is a config key with a sane default; the
// codec enforces them before it buffers or recurses, so no input can make it use more memory than
// these allow or recurse deeper than `max_depth`.

#include <cstddef>
#include <cstdint>

namespace pushmail::imap {

struct Limits {
  // Octets of one line outside literals, its line ending included.
  size_t max_line = size_t{64} * 1024;
  // Octets of one literal; the APPENDLIMIT (RFC 7889) the server advertises.
  uint64_t max_literal = uint64_t{64} * 1024 * 1024;
  // Octets of a whole command other than APPEND, literals included.
  uint64_t max_command = uint64_t{1024} * 1024;
  // Octets of a whole APPEND (several messages with MULTIAPPEND), literals included.
  uint64_t max_append_command = uint64_t{256} * 1024 * 1024;
  // Nesting of parenthesised lists, and of NOT / OR / groups in a SEARCH program.
  size_t max_depth = 32;
  // Ranges ("a:b" or single numbers) in one sequence set.
  size_t max_ranges = 10000;
  // Keys in one SEARCH program, every NOT, OR and group counted.
  size_t max_search_keys = 1000;
  // Tokens (atoms, strings, literals, lists) in one command; bounds the token tree's memory.
  size_t max_tokens = 20000;
};

}  // namespace pushmail::imap
