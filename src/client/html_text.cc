#include "client/html_text.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>
#include <vector>

#include "base/strings.h"
#include "base/utf8.h"

namespace pushmail::client {

namespace {

// Quotes and lists deeper than this are shown at this depth, so that the output stays within
// about ten times the input.
constexpr int kShownDepth = 8;

bool Space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// A numeric reference to what is no Unicode scalar value stands for U+FFFD.
void AppendCodePoint(uint32_t cp, std::string& out) {
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = 0xFFFD;
  AppendUtf8(out, cp);
}

constexpr std::array<std::pair<std::string_view, uint32_t>, 40> kEntities{{
    {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122}, {"hellip", 0x2026},
    {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"sbquo", 0x201A}, {"bdquo", 0x201E}, {"bull", 0x2022},  {"middot", 0xB7},
    {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},    {"sect", 0xA7},
    {"para", 0xB6},    {"deg", 0xB0},     {"plusmn", 0xB1},  {"times", 0xD7},   {"divide", 0xF7},
    {"laquo", 0xAB},   {"raquo", 0xBB},   {"shy", 0xAD},     {"zwnj", 0x200C},  {"zwj", 0x200D},
    {"larr", 0x2190},  {"rarr", 0x2192},  {"uarr", 0x2191},  {"darr", 0x2193},  {"iexcl", 0xA1},
}};

bool Skipped(std::string_view name) {
  return name == "script" || name == "style" || name == "head" || name == "title" ||
         name == "template" || name == "noscript";
}

// Elements that start and end a line of their own.
bool Block(std::string_view name) {
  static constexpr std::array<std::string_view, 22> kBlocks = {
      "p",       "div",    "h1",     "h2",      "h3", "h4",  "h5",         "h6",
      "ul",      "ol",     "li",     "table",   "tr", "pre", "blockquote", "section",
      "article", "header", "footer", "address", "dl", "dt"};
  return std::find(kBlocks.begin(), kBlocks.end(), name) != kBlocks.end() || name == "dd" ||
         name == "form" || name == "center" || name == "main" || name == "nav";
}

// Blocks set off by a blank line.
bool Paragraph(std::string_view name) {
  return name == "p" || (name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6') ||
         name == "blockquote" || name == "pre" || name == "table";
}

struct Tag {
  std::string name;  // lower case
  bool end = false;
  std::string href, alt;
};

// Reads the value of attribute `attr` from the inside of a tag ("a href='x' ...").
std::string Attribute(std::string_view inside, std::string_view attr) {
  size_t i = 0;
  while (i < inside.size()) {
    while (i < inside.size() && (Space(inside[i]) || inside[i] == '/')) ++i;
    size_t start = i;
    while (i < inside.size() && !Space(inside[i]) && inside[i] != '=' && inside[i] != '/') ++i;
    std::string name;
    for (char c : inside.substr(start, i - start)) name += AsciiLower(c);
    while (i < inside.size() && Space(inside[i])) ++i;
    std::string value;
    if (i < inside.size() && inside[i] == '=') {
      ++i;
      while (i < inside.size() && Space(inside[i])) ++i;
      if (i < inside.size() && (inside[i] == '"' || inside[i] == '\'')) {
        char quote = inside[i++];
        size_t close = inside.find(quote, i);
        if (close == std::string_view::npos) close = inside.size();
        value = inside.substr(i, close - i);
        i = std::min(close + 1, inside.size());
      } else {
        size_t v = i;
        while (i < inside.size() && !Space(inside[i])) ++i;
        value = inside.substr(v, i - v);
      }
    }
    if (name == attr) {
      std::string decoded;
      for (size_t k = 0; k < value.size();) {
        size_t used = value[k] == '&'
                          ? DecodeCharacterReference(std::string_view(value).substr(k), decoded)
                          : 0;
        if (used == 0) decoded += value[k++];
        k += used;
      }
      return decoded;
    }
    if (i == start) ++i;  // a stray character: go on
  }
  return {};
}

class Renderer {
 public:
  std::string Finish() {
    while (!out_.empty() && (out_.back() == '\n' || out_.back() == ' ')) out_.pop_back();
    if (!out_.empty()) out_ += '\n';
    return std::move(out_);
  }

  void Text(std::string_view text) {
    if (skip_ > 0) return;
    for (size_t i = 0; i < text.size();) {
      if (text[i] == '&') {
        std::string decoded;
        size_t used = DecodeCharacterReference(text.substr(i), decoded);
        if (used > 0) {
          for (char c : decoded) Put(c);
          i += used;
          continue;
        }
      }
      Put(text[i++]);
    }
  }

  void Open(const Tag& tag) {
    const std::string& n = tag.name;
    if (Skipped(n)) {
      skip_ = std::min(skip_ + 1, kMaxHtmlDepth);
      return;
    }
    if (skip_ > 0) return;
    if (n == "br") return Break(1);
    if (n == "hr") {
      Break(1);
      Raw("----------------------------------------");
      return Break(1);
    }
    if (n == "img" && !tag.alt.empty()) return Raw("[" + tag.alt + "]");
    if (n == "td" || n == "th") {
      if (cell_ > 0) Raw(" | ");
      ++cell_;
      return;
    }
    if (n == "tr") cell_ = 0;
    if (n == "a") {
      link_ = tag.href;
      link_text_start_ = out_.size();
      return;
    }
    if (Block(n)) Break(Paragraph(n) ? 2 : 1);
    if (n == "blockquote") quote_ = std::min(quote_ + 1, kMaxHtmlDepth);
    if (n == "pre") pre_ = std::min(pre_ + 1, kMaxHtmlDepth);
    if (n == "ul" || n == "ol") {
      if (lists_.size() < static_cast<size_t>(kMaxHtmlDepth)) lists_.push_back(n == "ol" ? 1 : 0);
    }
    if (n == "li") {
      std::string marker = "* ";
      if (!lists_.empty() && lists_.back() > 0) marker = std::to_string(lists_.back()++) + ". ";
      Raw(marker);
    }
  }

  void Close(const Tag& tag) {
    const std::string& n = tag.name;
    if (Skipped(n)) {
      skip_ = std::max(skip_ - 1, 0);
      return;
    }
    if (skip_ > 0) return;
    if (n == "a") {
      std::string text = out_.substr(std::min(link_text_start_, out_.size()));
      bool shows_url = link_.empty() || text.find(link_) != std::string::npos ||
                       link_.starts_with("#") || link_.starts_with("mailto:" + text);
      if (!shows_url) Raw(" <" + link_ + ">");
      link_.clear();
      return;
    }
    if (n == "blockquote") quote_ = std::max(quote_ - 1, 0);
    if (n == "pre") pre_ = std::max(pre_ - 1, 0);
    if ((n == "ul" || n == "ol") && !lists_.empty()) lists_.pop_back();
    if (Block(n)) Break(Paragraph(n) ? 2 : 1);
  }

 private:
  // Characters of the document's text: white space folds outside <pre>.
  void Put(char c) {
    if (pre_ == 0 && Space(c)) {
      space_ = true;
      return;
    }
    if (c == '\n') return Break(1);
    if (c == '\r') return;
    Raw(std::string_view(&c, 1));
  }

  // Text that goes out as it is, after any pending line break, indent or space.
  void Raw(std::string_view text) {
    if (at_line_start_) {
      if (!out_.empty()) out_.append(std::min(pending_breaks_, 2), '\n');
      pending_breaks_ = 0;
      for (int i = 0; i < std::min(quote_, kShownDepth); ++i) out_ += "> ";
      size_t lists = std::min<size_t>(lists_.size(), kShownDepth);
      if (lists > 1) out_.append(2 * (lists - 1), ' ');
      at_line_start_ = false;
      space_ = false;
    } else if (space_) {
      out_ += ' ';
      space_ = false;
    }
    out_ += text;
  }

  void Break(int lines) {
    if (at_line_start_) {
      pending_breaks_ = std::max(pending_breaks_, lines);
      return;
    }
    at_line_start_ = true;
    pending_breaks_ = lines;
    space_ = false;
  }

  std::string out_;
  int skip_ = 0, quote_ = 0, pre_ = 0, cell_ = 0;
  int pending_breaks_ = 0;
  bool at_line_start_ = true, space_ = false;
  std::vector<int> lists_;  // 0 for <ul>, the next number for <ol>
  std::string link_;
  size_t link_text_start_ = 0;
};

// Reads the tag that starts at html[i] == '<'; false when it is no tag (kept as text).
bool ReadTag(std::string_view html, size_t& i, Tag& tag) {
  size_t j = i + 1;
  if (j < html.size() && html[j] == '/') {
    tag.end = true;
    ++j;
  }
  if (j >= html.size() || !std::isalpha(static_cast<unsigned char>(html[j]))) return false;
  size_t close = html.find('>', j);
  if (close == std::string_view::npos) return false;
  size_t name_end = j;
  while (name_end < close && !Space(html[name_end]) && html[name_end] != '/') ++name_end;
  for (char c : html.substr(j, name_end - j)) tag.name += AsciiLower(c);
  std::string_view inside = html.substr(name_end, close - name_end);
  if (tag.name == "a") tag.href = Attribute(inside, "href");
  if (tag.name == "img") tag.alt = Attribute(inside, "alt");
  i = close + 1;
  return true;
}

}  // namespace

size_t DecodeCharacterReference(std::string_view text, std::string& out) {
  if (text.size() < 3 || text[0] != '&') return 0;
  size_t semi = text.find(';');
  if (semi == std::string_view::npos || semi > 12) return 0;
  std::string_view name = text.substr(1, semi - 1);
  if (name[0] == '#') {
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string_view digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    uint32_t cp = 0;
    for (char c : digits) {
      int d = std::isdigit(static_cast<unsigned char>(c))           ? c - '0'
              : hex && std::isxdigit(static_cast<unsigned char>(c)) ? AsciiLower(c) - 'a' + 10
                                                                    : -1;
      if (d < 0) return 0;
      cp = std::min<uint32_t>(cp * (hex ? 16 : 10) + static_cast<uint32_t>(d), 0x110000);
    }
    AppendCodePoint(cp, out);
    return semi + 1;
  }
  for (const auto& [entity, cp] : kEntities) {
    if (entity == name) {
      AppendCodePoint(cp, out);
      return semi + 1;
    }
  }
  return 0;
}

std::string HtmlToReadableText(std::string_view html) {
  Renderer r;
  size_t i = 0;
  while (i < html.size()) {
    if (html[i] != '<') {
      size_t next = html.find('<', i);
      if (next == std::string_view::npos) next = html.size();
      r.Text(html.substr(i, next - i));
      i = next;
      continue;
    }
    if (html.substr(i, 4) == "<!--") {
      size_t end = html.find("-->", i + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (html.substr(i, 2) == "<!" || html.substr(i, 2) == "<?") {
      size_t end = html.find('>', i);
      i = end == std::string_view::npos ? html.size() : end + 1;
      continue;
    }
    Tag tag;
    if (!ReadTag(html, i, tag)) {
      r.Text(html.substr(i, 1));
      ++i;
      continue;
    }
    if (tag.end) {
      r.Close(tag);
    } else {
      r.Open(tag);
      // Raw text elements: their content is not markup.
      if (tag.name == "script" || tag.name == "style") {
        std::string end = "</" + tag.name;
        size_t at = i;
        for (; at < html.size(); ++at) {
          if (html[at] == '<' && at + end.size() <= html.size()) {
            std::string probe;
            for (char c : html.substr(at, end.size())) probe += AsciiLower(c);
            if (probe == end) break;
          }
        }
        i = at;
      }
    }
  }
  return r.Finish();
}

}  // namespace pushmail::client
