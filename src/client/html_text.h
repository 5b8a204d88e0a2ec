#pragma once
// HTML mail as readable text for a terminal (`pushmail read`). Pure, thread-safe, never fails.
//
// Block elements (p, div, h1-h6, li, tr, blockquote, pre, ...) start new lines; paragraphs and
// headings are set off by a blank line; <br> breaks the line; list items get "* " (or "N. " in
// an <ol>), nested lists are indented; table cells are separated by " | "; links become
// "text <URL>" when the text is not the URL itself; images their "[alt]"; <blockquote> lines
// start with "> "; <hr> is a line of dashes; <pre> keeps its white space; script, style, head,
// title, template and comments are dropped; character references are decoded (named ones from
// a table of the common entities, numeric ones checked: NUL, surrogates and values past
// U+10FFFF become U+FFFD). Elsewhere white space folds to one space. Malformed markup (an
// unclosed tag, a stray "<", a bad reference) is kept as text where a browser would keep it.
// Nesting deeper than kMaxHtmlDepth counts as kMaxHtmlDepth, and quotes and lists are indented
// at most 8 levels, so the output is at most about ten times the input's size. A character
// reference longer than 12 octets is not one (kept as text).

#include <string>
#include <string_view>

namespace pushmail::client {

inline constexpr int kMaxHtmlDepth = 32;

std::string HtmlToReadableText(std::string_view html);

// Decodes the character reference at the start of `text` (which begins with '&'); appends it to
// `out` and returns the octets it used, or 0 when `text` does not start a reference.
size_t DecodeCharacterReference(std::string_view text, std::string& out);

}  // namespace pushmail::client
