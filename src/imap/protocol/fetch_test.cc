#include "imap/protocol/fetch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pushmail::imap {
namespace {

struct Good {  // NOLINT(clang-analyzer-optin.performance.Padding): a table, in reading order
  std::string item;
  FetchAttr attr;
  std::string response;  // ResponseName()
  bool peek = false;
  bool sets_seen = false;
};

TEST(FetchItem, Good) {
  using A = FetchAttr;
  const Good cases[] = {
      {"UID", A::kUid, "UID"},
      {"flags", A::kFlags, "FLAGS"},
      {"INTERNALDATE", A::kInternalDate, "INTERNALDATE"},
      {"RFC822", A::kRfc822, "RFC822", false, true},
      {"RFC822.HEADER", A::kRfc822Header, "RFC822.HEADER"},
      {"RFC822.SIZE", A::kRfc822Size, "RFC822.SIZE"},
      {"RFC822.TEXT", A::kRfc822Text, "RFC822.TEXT", false, true},
      {"ENVELOPE", A::kEnvelope, "ENVELOPE"},
      {"BODY", A::kBody, "BODY"},
      {"BODYSTRUCTURE", A::kBodyStructure, "BODYSTRUCTURE"},
      {"MODSEQ", A::kModSeq, "MODSEQ"},
      {"EMAILID", A::kEmailId, "EMAILID"},
      {"THREADID", A::kThreadId, "THREADID"},
      {"SAVEDATE", A::kSaveDate, "SAVEDATE"},
      {"BODY[]", A::kBodySection, "BODY[]", false, true},
      {"body.peek[]", A::kBodySection, "BODY[]", true},
      {"BODY[]<0.100>", A::kBodySection, "BODY[]<0>", false, true},
      {"BODY.PEEK[]<1024.2048>", A::kBodySection, "BODY[]<1024>", true},
      {"BODY[HEADER]", A::kBodySection, "BODY[HEADER]", false, true},
      {"BODY.PEEK[text]", A::kBodySection, "BODY[TEXT]", true},
      {"BODY[1]", A::kBodySection, "BODY[1]", false, true},
      {"BODY[1.2.3]", A::kBodySection, "BODY[1.2.3]", false, true},
      {"BODY[1.2.MIME]", A::kBodySection, "BODY[1.2.MIME]", false, true},
      {"BODY[3.HEADER]", A::kBodySection, "BODY[3.HEADER]", false, true},
      {"BODY[4.TEXT]", A::kBodySection, "BODY[4.TEXT]", false, true},
      {"BODY.PEEK[HEADER.FIELDS (From To)]", A::kBodySection, "BODY[HEADER.FIELDS (From To)]",
       true},
      {"BODY.PEEK[header.fields (\"FROM\" \"X{1}\")]", A::kBodySection,
       "BODY[HEADER.FIELDS (FROM \"X{1}\")]", true},
      {"BODY[HEADER.FIELDS.NOT (Received  X-Spam)]", A::kBodySection,
       "BODY[HEADER.FIELDS.NOT (Received X-Spam)]", false, true},
      {"BODY[1.HEADER.FIELDS (Subject)]<0.10>", A::kBodySection,
       "BODY[1.HEADER.FIELDS (Subject)]<0>", false, true},
      {"BINARY[]", A::kBinary, "BINARY[]", false, true},
      {"BINARY.PEEK[1.2]<0.5>", A::kBinary, "BINARY[1.2]<0>", true},
      {"BINARY.SIZE[2]", A::kBinarySize, "BINARY.SIZE[2]"},
  };
  for (const Good& c : cases) {
    auto item = ParseFetchItem(c.item, Limits{});
    ASSERT_TRUE(item) << c.item << ": " << item.error().text;
    EXPECT_EQ(item->attr, c.attr) << c.item;
    EXPECT_EQ(item->ResponseName(), c.response) << c.item;
    EXPECT_EQ(item->peek, c.peek) << c.item;
    EXPECT_EQ(item->SetsSeen(), c.sets_seen) << c.item;
  }
}

TEST(FetchItem, SectionFields) {
  auto item = ParseFetchItem("BODY[1.2.HEADER.FIELDS (From To)]<5.10>", Limits{});
  ASSERT_TRUE(item);
  EXPECT_EQ(item->section.part, (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(item->section.text, Section::Text::kHeaderFields);
  EXPECT_EQ(item->section.fields, (std::vector<std::string>{"From", "To"}));
  ASSERT_TRUE(item->partial);
  EXPECT_EQ(item->partial->origin, 5u);
  EXPECT_EQ(item->partial->length, 10u);
}

TEST(FetchItem, Bad) {
  const char* cases[] = {
      "FOO",
      "BODY.PEEK",
      "BINARY",
      "BODY[",
      "BODY[]]",
      "BODY[]x",
      "BODY[FOO]",
      "BODY[MIME]",
      "BODY[0]",
      "BODY[1.0]",
      "BODY[01]",
      "BODY[1.]",
      "BODY[.1]",
      "BODY[1..2]",
      "BODY[4294967296]",
      "BODY[HEADER.FIELDS]",
      "BODY[HEADER.FIELDS ()]",
      "BODY[HEADER.FIELDS (From:)]",
      "BODY[HEADER.FIELDS (\"\")]",
      "BODY[HEADER.FIELDS ((From))]",
      "BODY[HEADER.FIELDS From]",
      "BODY[HEADER.FIELDS (From) (To)]",
      "BODY[HEADER.FIELDSX (From)]",
      "BODY[HEADER.TEXT]",
      "BODY[]<>",
      "BODY[]<0>",
      "BODY[]<0.0>",
      "BODY[]<x.1>",
      "BODY[]<0.1",
      "BODY[]<0.1>x",
      "BODY[]<-1.5>",
      "BODY[]<99999999999999999999.1>",
      "BINARY[HEADER]",
      "BINARY[1.MIME]",
      "BINARY.SIZE[1]<0.1>",
      "BINARY.PEEK.SIZE[1]",
      "UID[]",
  };
  for (const char* c : cases) EXPECT_FALSE(ParseFetchItem(c, Limits{})) << c;
}

TEST(FetchItems, MacrosAndLists) {
  auto tokens = Tokenize("FULL", Limits{});
  ASSERT_TRUE(tokens);
  auto full = ParseFetchItems((*tokens)[0], Limits{});
  ASSERT_TRUE(full);
  std::vector<std::string> names;
  for (const FetchItem& i : *full) names.push_back(i.ResponseName());
  EXPECT_EQ(names,
            (std::vector<std::string>{"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}));
  tokens = Tokenize("all", Limits{});
  EXPECT_EQ(ParseFetchItems((*tokens)[0], Limits{})->size(), 4u);
  tokens = Tokenize("(UID BODY.PEEK[HEADER.FIELDS (A B)] MODSEQ)", Limits{});
  auto list = ParseFetchItems((*tokens)[0], Limits{});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
  tokens = Tokenize("(UID \"FLAGS\")", Limits{});
  EXPECT_FALSE(ParseFetchItems((*tokens)[0], Limits{}));
  tokens = Tokenize("(UID (FLAGS))", Limits{});
  EXPECT_FALSE(ParseFetchItems((*tokens)[0], Limits{}));
}

}  // namespace
}  // namespace pushmail::imap
