#include "imap/protocol/command.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace pushmail::imap {
namespace {

using namespace std::string_literals;

Request Parse(const std::string& text, bool utf8 = false) {
  ParseOptions options;
  options.utf8 = utf8;
  auto r = ParseRequest(text, options);
  EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().text);
  return r ? std::move(*r) : Request{};
}

// The arguments by value: the Request is often a temporary. (Views in them point into the
// command text, which the caller keeps.)
template <class T>
T As(const Request& r) {
  const T* p = std::get_if<T>(&r.args);
  EXPECT_NE(p, nullptr);
  return p ? *p : T{};
}

TEST(ParseRequest, NoArguments) {
  for (const char* text : {"a CAPABILITY", "a NOOP", "a LOGOUT", "a STARTTLS", "a IDLE",
                           "a NAMESPACE", "a CHECK", "a CLOSE", "a UNSELECT", "a EXPUNGE"}) {
    Request r = Parse(text);
    EXPECT_TRUE(std::holds_alternative<NoArguments>(r.args)) << text;
    EXPECT_EQ(r.tag, "a");
  }
}

TEST(ParseRequest, Login) {
  auto l = As<Login>(Parse("a LOGIN fred \"p w\""));
  EXPECT_EQ(l.user, "fred");
  EXPECT_EQ(l.password, "p w");
  auto l2 = As<Login>(Parse("a LOGIN {4}\r\nfr d {3+}\r\n\"x\\"));
  EXPECT_EQ(l2.user, "fr d");
  EXPECT_EQ(l2.password, "\"x\\");
  auto l3 = As<Login>(Parse("a LOGIN \"\" \"\""));
  EXPECT_EQ(l3.user, "");
}

TEST(ParseRequest, Authenticate) {
  auto a = As<Authenticate>(Parse("a AUTHENTICATE plain"));
  EXPECT_EQ(a.mechanism, "PLAIN");
  EXPECT_FALSE(a.initial_response);
  auto b = As<Authenticate>(Parse("a AUTHENTICATE PLAIN AGZyZWQAcHc="));
  EXPECT_EQ(b.initial_response, "AGZyZWQAcHc=");
  auto c = As<Authenticate>(Parse("a AUTHENTICATE EXTERNAL ="));
  EXPECT_EQ(c.initial_response, "");
}

TEST(ParseRequest, EnableIdCompress) {
  EXPECT_EQ(As<Enable>(Parse("a ENABLE qresync UTF8=ACCEPT")).capabilities,
            (std::vector<std::string>{"QRESYNC", "UTF8=ACCEPT"}));
  EXPECT_FALSE(As<Id>(Parse("a ID NIL")).params);
  auto id = As<Id>(Parse("a ID (\"name\" \"mutt\" \"version\" NIL)"));
  ASSERT_TRUE(id.params);
  ASSERT_EQ(id.params->size(), 2u);
  EXPECT_EQ((*id.params)[0].first, "name");
  EXPECT_EQ((*id.params)[0].second, "mutt");
  EXPECT_FALSE((*id.params)[1].second);
  EXPECT_EQ(As<Compress>(Parse("a COMPRESS deflate")).mechanism, "DEFLATE");
}

TEST(ParseRequest, Select) {
  Request r = Parse("a EXAMINE inbox");
  EXPECT_EQ(r.verb, Verb::kExamine);
  EXPECT_EQ(As<Select>(r).mailbox, "INBOX");
  EXPECT_TRUE(As<Select>(Parse("a SELECT x (CONDSTORE)")).condstore);
  auto q = As<Select>(Parse("a SELECT x (QRESYNC (67890007 20050715194045000 41,43:211,214:541))"));
  ASSERT_TRUE(q.qresync);
  EXPECT_EQ(q.qresync->uidvalidity, 67890007u);
  EXPECT_EQ(q.qresync->modseq, 20050715194045000u);
  ASSERT_TRUE(q.qresync->known_uids);
  EXPECT_EQ(q.qresync->known_uids->ranges.size(), 3u);
  EXPECT_FALSE(q.qresync->known_seqs);
  auto m = As<Select>(Parse("a SELECT x (QRESYNC (1 2 1:100 (1:10,20 5:14,40)) CONDSTORE)"));
  ASSERT_TRUE(m.qresync && m.qresync->known_seqs && m.qresync->known_seq_uids);
  EXPECT_EQ(m.qresync->known_seq_uids->ranges[1], (SeqRange{40, 40}));
  EXPECT_TRUE(m.condstore);
  auto n = As<Select>(Parse("a SELECT x (QRESYNC (1 2 (1 5)))"));
  ASSERT_TRUE(n.qresync);
  EXPECT_FALSE(n.qresync->known_uids);
  EXPECT_TRUE(n.qresync->known_seqs);
}

TEST(ParseRequest, MailboxNames) {
  EXPECT_EQ(As<MailboxArgument>(Parse("a DELETE \"Entw&APw-rfe\"")).mailbox, "Entw\xc3\xbcrfe");
  EXPECT_EQ(As<MailboxArgument>(Parse("a DELETE \"Entw\xc3\xbcrfe\"", true)).mailbox,
            "Entw\xc3\xbcrfe");
  EXPECT_EQ(As<MailboxArgument>(Parse("a SUBSCRIBE &-x", true)).mailbox, "&-x");
  EXPECT_EQ(As<MailboxArgument>(Parse("a UNSUBSCRIBE inbox/Sub")).mailbox, "INBOX/Sub");
  EXPECT_EQ(As<MailboxArgument>(Parse("a DELETE {5}\r\nInBoX")).mailbox, "INBOX");
  EXPECT_EQ(As<MailboxArgument>(Parse("a DELETE inboxes")).mailbox, "inboxes");
  auto rn = As<Rename>(Parse("a RENAME a/b \"c d\""));
  EXPECT_EQ(rn.from, "a/b");
  EXPECT_EQ(rn.to, "c d");
  auto cr = As<Create>(Parse("a CREATE Drafts (USE (\\Drafts))"));
  EXPECT_EQ(cr.mailbox, "Drafts");
  EXPECT_EQ(cr.special_use, (std::vector<std::string>{"\\Drafts"}));
}

TEST(ParseRequest, List) {
  auto basic = As<List>(Parse("a LIST \"\" *"));
  EXPECT_EQ(basic.reference, "");
  EXPECT_EQ(basic.patterns, (std::vector<std::string>{"*"}));
  EXPECT_FALSE(basic.extended);
  auto ext =
      As<List>(Parse("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (% \"INBOX/&AOk-\") RETURN (CHILDREN "
                     "STATUS (MESSAGES UNSEEN) SPECIAL-USE MYRIGHTS)"));
  EXPECT_TRUE(ext.extended && ext.subscribed && ext.recursive_match);
  EXPECT_EQ(ext.patterns, (std::vector<std::string>{"%", "INBOX/\xc3\xa9"}));
  EXPECT_TRUE(ext.return_children && ext.return_special_use && ext.return_status_requested);
  EXPECT_EQ(ext.return_status, (std::vector<std::string>{"MESSAGES", "UNSEEN"}));
  auto ret = As<List>(Parse("a LIST \"\" % RETURN (SUBSCRIBED)"));
  EXPECT_TRUE(ret.extended && ret.return_subscribed);
  auto su = As<List>(Parse("a LIST (SPECIAL-USE REMOTE) \"\" *"));
  EXPECT_TRUE(su.special_use && su.remote);
  auto lsub = As<List>(Parse("a LSUB \"#news.\" comp.%"));
  EXPECT_EQ(lsub.reference, "#news.");
  EXPECT_EQ(lsub.patterns, (std::vector<std::string>{"comp.%"}));
}

TEST(ParseRequest, Status) {
  auto s =
      As<Status>(Parse("a STATUS INBOX (messages UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE "
                       "RECENT HIGHESTMODSEQ APPENDLIMIT MAILBOXID)"));
  EXPECT_EQ(s.mailbox, "INBOX");
  EXPECT_EQ(s.items.size(), 10u);
  EXPECT_EQ(s.items[0], "MESSAGES");
}

TEST(ParseRequest, Append) {
  std::string text =
      "a APPEND Sent (\\Seen $Forwarded) \" 7-Feb-1994 21:52:25 -0800\" {5}\r\nHello";
  auto a = As<Append>(Parse(text));
  EXPECT_EQ(a.mailbox, "Sent");
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].flags, (std::vector<std::string>{"\\Seen", "$Forwarded"}));
  ASSERT_TRUE(a.messages[0].internal_date);
  EXPECT_EQ(a.messages[0].internal_date->unix_seconds, 760686745);
  EXPECT_EQ(a.messages[0].data, "Hello");
  std::string multi =
      "a APPEND x {2}\r\nm1 () ~{3}\r\nm\0"
      "2 \"01-Jan-2000 00:00:00 +0000\" {2+}\r\nm3 UTF8 (~{2}\r\nm4)"s;
  auto m = As<Append>(Parse(multi));
  ASSERT_EQ(m.messages.size(), 4u);
  EXPECT_EQ(m.messages[1].data,
            "m\0"
            "2"s);
  EXPECT_TRUE(m.messages[1].binary);
  EXPECT_EQ(m.messages[2].internal_date->unix_seconds, 946684800);
  EXPECT_EQ(m.messages[3].data, "m4");
}

TEST(ParseRequest, Store) {
  auto s = As<Store>(Parse("a STORE 2:4 +FLAGS.SILENT (\\deleted)"));
  EXPECT_EQ(s.mode, Store::Mode::kAdd);
  EXPECT_TRUE(s.silent);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"\\Deleted"}));
  auto t = As<Store>(Parse("a UID STORE 1 (UNCHANGEDSINCE 12345) -FLAGS \\Seen $Junk"));
  EXPECT_EQ(t.mode, Store::Mode::kRemove);
  EXPECT_EQ(t.unchanged_since, 12345u);
  EXPECT_EQ(t.flags, (std::vector<std::string>{"\\Seen", "$Junk"}));
  auto u = As<Store>(Parse("a STORE $ FLAGS ()"));
  EXPECT_TRUE(u.set.saved);
  EXPECT_EQ(u.mode, Store::Mode::kReplace);
  EXPECT_TRUE(u.flags.empty());
}

TEST(ParseRequest, CopyMoveExpunge) {
  Request r = Parse("a UID MOVE 1:3,7 Trash");
  EXPECT_EQ(r.verb, Verb::kMove);
  EXPECT_TRUE(r.uid);
  EXPECT_EQ(As<Copy>(r).mailbox, "Trash");
  EXPECT_EQ(As<Copy>(r).set.ranges.size(), 2u);
  EXPECT_EQ(As<Copy>(Parse("a COPY * \"A B\"")).set.ranges[0], (SeqRange{0, 0}));
  EXPECT_EQ(As<UidExpunge>(Parse("a UID EXPUNGE 3000:3002")).set.ranges[0], (SeqRange{3000, 3002}));
}

TEST(ParseRequest, Fetch) {
  auto f = As<Fetch>(Parse("a FETCH 1:* FAST"));
  EXPECT_EQ(f.items.size(), 3u);
  auto g = As<Fetch>(Parse("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)"));
  EXPECT_EQ(g.changed_since, 12345u);
  EXPECT_TRUE(g.vanished);
  auto h = As<Fetch>(Parse("a FETCH 1 (BODY.PEEK[1.2.MIME] RFC822.SIZE) (CHANGEDSINCE 1)"));
  EXPECT_EQ(h.items[0].ResponseName(), "BODY[1.2.MIME]");
  EXPECT_FALSE(h.vanished);
}

TEST(ParseRequest, Search) {
  auto s = As<Search>(Parse("a UID SEARCH RETURN (MIN COUNT) CHARSET utf-8 FROM \"x\" UNSEEN"));
  EXPECT_TRUE(s.ret.present && s.ret.min && s.ret.count && !s.ret.max);
  EXPECT_EQ(s.charset, "UTF-8");
  EXPECT_EQ(s.key.kind, SearchKey::Kind::kAnd);
}

TEST(ParseRequest, Notify) {
  EXPECT_TRUE(As<Notify>(Parse("a NOTIFY NONE")).none);
  auto n = As<Notify>(
      Parse("a NOTIFY SET (STATUS) (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (From)]) "
            "MessageExpunge FlagChange)) (subtree (Lists \"Other\") (MailboxName)) "
            "(mailboxes INBOX NONE) (personal (MessageNew MessageExpunge SubscriptionChange))"));
  EXPECT_TRUE(n.status);
  ASSERT_EQ(n.groups.size(), 4u);
  EXPECT_EQ(n.groups[0].filter, Notify::Filter::kSelected);
  EXPECT_EQ(n.groups[0].events,
            uint32_t{Notify::kMessageNew | Notify::kMessageExpunge | Notify::kFlagChange});
  EXPECT_EQ(n.groups[0].message_new_items.size(), 2u);
  EXPECT_EQ(n.groups[1].filter, Notify::Filter::kSubtree);
  EXPECT_EQ(n.groups[1].mailboxes, (std::vector<std::string>{"Lists", "Other"}));
  EXPECT_EQ(n.groups[2].mailboxes, (std::vector<std::string>{"INBOX"}));
  EXPECT_EQ(n.groups[2].events, 0u);
  EXPECT_EQ(n.groups[3].filter, Notify::Filter::kPersonal);
  auto d = As<Notify>(Parse("a NOTIFY SET (selected-delayed (MessageNew MessageExpunge))"));
  EXPECT_EQ(d.groups[0].filter, Notify::Filter::kSelectedDelayed);
  EXPECT_FALSE(d.status);
  // RFC 5465 8: the status indicator is a bare atom (the form of the RFC's own examples).
  auto bare = As<Notify>(Parse("a notify set status (selected (MessageNew MessageExpunge))"));
  EXPECT_TRUE(bare.status);
  EXPECT_EQ(bare.groups.size(), 1u);
}

struct BadCase {
  std::string text;
  std::string tag;
  std::string error;
  bool utf8 = false;
};

TEST(ParseRequest, Bad) {
  const BadCase cases[] = {
      // Arity.
      {"a NOOP x", "a", "Too many arguments"},
      {"a LOGIN fred", "a", "Missing argument"},
      {"a LOGIN fred pw x", "a", "Too many arguments"},
      {"a LOGIN (fred) pw", "a", "Invalid string argument"},
      {"a LOGIN fr*d pw", "a", "Invalid string argument"},
      {"a SELECT", "a", "Missing mailbox name"},
      {"a RENAME x", "a", "Missing mailbox name"},
      {"a STATUS INBOX", "a", "Expected a list of status items"},
      {"a STATUS INBOX ()", "a", "Expected a list of status items"},
      {"a STATUS INBOX (FOO)", "a", "Unknown status item"},
      {"a COPY 1", "a", "Missing mailbox name"},
      {"a FETCH 1", "a", "Missing FETCH items"},
      {"a FETCH", "a", "Missing sequence set"},
      {"a UID EXPUNGE", "a", "Missing sequence set"},
      {"a SEARCH", "a", "Missing search key"},
      {"a ENABLE", "a", "Missing capability"},
      {"a ID", "a", "Missing ID parameters"},
      // AUTHENTICATE, ENABLE, ID, COMPRESS.
      {"a AUTHENTICATE \"PLAIN\"", "a", "Invalid SASL mechanism"},
      {"a AUTHENTICATE PLAIN AGZyZWQAcHc", "a", "Initial response is not base64"},
      {"a AUTHENTICATE PLAIN = y", "a", "Too many arguments"},
      {"a ENABLE \"x\"", "a", "Invalid capability"},
      {"a ID (\"a\")", "a", "ID takes NIL or pairs"},
      {"a ID (\"" + std::string(31, 'n') + "\" NIL)", "a", "Invalid ID field"},
      {"a ID (\"n\" \"" + std::string(1025, 'v') + "\")", "a", "Invalid ID value"},
      {"a COMPRESS", "a", "Invalid compression mechanism"},
      // SELECT parameters.
      {"a SELECT x CONDSTORE", "a", "Invalid SELECT parameters"},
      {"a SELECT x (FOO)", "a", "Unknown SELECT parameter"},
      {"a SELECT x (QRESYNC)", "a", "QRESYNC needs parameters"},
      {"a SELECT x (QRESYNC (0 1))", "a", "Invalid number"},
      {"a SELECT x (QRESYNC (1))", "a", "Missing number"},
      {"a SELECT x (QRESYNC (1 2 0:5))", "a", "Invalid sequence set"},
      {"a SELECT x (QRESYNC (1 2 $))", "a", "not allowed"},
      {"a SELECT x (QRESYNC (1 2 1:5 (1:2)))", "a", "Invalid QRESYNC match data"},
      {"a SELECT x (QRESYNC (1 2 1:5 (1 2) x))", "a", "Too many arguments"},
      // Mailbox names.
      {"a SELECT \"Entw\xc3\xbcrfe\"", "a", "not valid modified UTF-7"},
      {"a SELECT &AOk", "a", "not valid modified UTF-7"},
      {"a SELECT &AGE-", "a", "not valid modified UTF-7"},
      {"a SELECT &Jjo", "a", "not valid modified UTF-7"},
      {"a SELECT \"\xff\"", "a", "not valid UTF-8", true},
      {"a SELECT \"\xc0\xaf\"", "a", "not valid UTF-8", true},
      {"a SELECT \"\xed\xa0\x80\"", "a", "not valid UTF-8", true},
      {"a SELECT {3}\r\na\tb", "a", "Control character in mailbox name"},
      {"a CREATE x (FOO)", "a", "Unknown CREATE parameter"},
      {"a CREATE x (USE (Drafts))", "a", "Invalid USE flag"},
      // LIST.
      {"a LIST", "a", "Missing reference"},
      {"a LIST \"\"", "a", "Missing mailbox pattern"},
      {"a LIST (FOO) \"\" *", "a", "Unknown LIST selection option"},
      {"a LIST (RECURSIVEMATCH) \"\" *", "a", "RECURSIVEMATCH needs"},
      {"a LIST (REMOTE RECURSIVEMATCH) \"\" *", "a", "RECURSIVEMATCH needs"},
      {"a LIST \"\" ()", "a", "Empty pattern list"},
      {"a LIST \"\" * RETURN", "a", "RETURN needs a list"},
      {"a LIST \"\" * RETURN (FOO)", "a", "Unknown LIST return option"},
      {"a LIST \"\" * RETURN (STATUS (BAR))", "a", "Unknown status item"},
      {"a LIST \"\" * FOO", "a", "Too many arguments"},
      {"a LSUB \"\" (a b)", "a", "Invalid mailbox pattern"},
      // APPEND.
      {"a APPEND x", "a", "Missing message literal"},
      {"a APPEND x \"body\"", "a", "Invalid date-time"},
      {"a APPEND x body", "a", "The message must be a literal"},
      {"a APPEND x (\\Recent) {1}\r\nm", "a", "Invalid system flag"},
      {"a APPEND x (\\Foo) {1}\r\nm", "a", "Invalid system flag"},
      {"a APPEND x (a*b) {1}\r\nm", "a", "Invalid keyword"},
      {"a APPEND x \"31-Feb-2020 00:00:00 +0000\" {1}\r\nm", "a", "Invalid date-time"},
      {"a APPEND x \"1-Feb-2020 24:00:00 +0000\" {1}\r\nm", "a", "Invalid date-time"},
      {"a APPEND x \"1-Foo-2020 00:00:00 +0000\" {1}\r\nm", "a", "Invalid date-time"},
      {"a APPEND x \"1-Feb-2020 00:00:00 0000\" {1}\r\nm", "a", "Invalid date-time"},
      {"a APPEND x {1}\r\nm foo", "a", "The message must be a literal"},
      {"a APPEND x UTF8 ({1}\r\nm)", "a", "UTF8 takes a literal8"},
      // STORE.
      {"a STORE 1 FLAGZ (\\Seen)", "a", "Expected FLAGS"},
      {"a STORE 1 +FLAGS", "a", "Missing flags"},
      {"a STORE 1 FLAGS (\\Seen) x", "a", "Too many arguments"},
      {"a STORE 1 FLAGS \\Recent", "a", "Invalid system flag"},
      {"a STORE 1 (UNCHANGEDSINCE) FLAGS x", "a", "Missing number"},
      {"a STORE 1 (FOO 1) FLAGS x", "a", "Unknown STORE modifier"},
      {"a STORE 1 FLAGS (\"x\")", "a", "Invalid flag"},
      // Sequence sets.
      {"a FETCH 0 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 0:5 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 01 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 1, FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 1: FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 1:2:3 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH 4294967296 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH $,1 FLAGS", "a", "Invalid sequence set"},
      {"a FETCH \"1\" FLAGS", "a", "Invalid sequence set"},
      // FETCH.
      {"a FETCH 1 (FLAGS) (VANISHED)", "a", "VANISHED needs"},
      {"a UID FETCH 1 (FLAGS) (VANISHED)", "a", "VANISHED needs"},
      {"a FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "a", "VANISHED needs"},
      {"a FETCH 1 (FLAGS) (CHANGEDSINCE x)", "a", "Invalid number"},
      {"a FETCH 1 (FLAGS) (FOO)", "a", "Unknown FETCH modifier"},
      {"a FETCH 1 (FLAGS) ()", "a", "Invalid FETCH modifiers"},
      {"a FETCH 1 (FLAGS) (CHANGEDSINCE 1) x", "a", "Too many arguments"},
      {"a FETCH 1 (FOO)", "a", "Unknown FETCH item"},
      {"a FETCH 1 (ALL)", "a", "Unknown FETCH item"},
      {"a FETCH 1 ()", "a", "Empty FETCH item list"},
      // SEARCH.
      {"a SEARCH CHARSET KOI8-R ALL", "a", "Unsupported charset"},
      {"a SEARCH RETURN (FOO) ALL", "a", "Unknown SEARCH RETURN option"},
      {"a SEARCH FOO", "a", "Unknown search key"},
      // NOTIFY.
      {"a NOTIFY", "a", "NOTIFY takes SET or NONE"},
      {"a NOTIFY SET", "a", "Missing event group"},
      {"a NOTIFY NONE x", "a", "Too many arguments"},
      {"a NOTIFY SET (foo (MessageNew))", "a", "Unknown NOTIFY mailbox filter"},
      {"a NOTIFY SET (selected (MessageNew))", "a", "MessageNew and MessageExpunge go together"},
      {"a NOTIFY SET (selected (FlagChange))", "a", "FlagChange needs"},
      {"a NOTIFY SET (selected (Foo))", "a", "Unknown NOTIFY event"},
      {"a NOTIFY SET (selected ())", "a", "Invalid NOTIFY events"},
      {"a NOTIFY SET (subtree (MessageNew MessageExpunge))", "a", "Invalid NOTIFY events"},
      {"a NOTIFY SET (subtree () (MailboxName))", "a", "Empty mailbox list"},
      {"a NOTIFY SET (selected (MailboxName) x)", "a", "Too many arguments"},
      {"a NOTIFY SET selected", "a", "Invalid NOTIFY event group"},
      // Parser errors come through with the tag.
      {"t1 LOGIN \"x", "t1", "Unterminated quoted string"},
      {"+ LOGIN x y", "", "Invalid tag"},
  };
  for (const BadCase& c : cases) {
    ParseOptions options;
    options.utf8 = c.utf8;
    auto r = ParseRequest(c.text, options);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().tag, c.tag) << c.text;
    EXPECT_NE(r.error().text.find(c.error), std::string::npos)
        << c.text << " -> " << r.error().text;
  }
}

TEST(ParseRequest, BadCharsetIsNo) {
  auto r = ParseRequest("a SEARCH CHARSET ISO-8859-1 ALL", ParseOptions{});
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().no);
  EXPECT_EQ(r.error().Format(), "a NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset\r\n");
}

TEST(ParseRequest, HugeSequenceSet) {
  ParseOptions options;
  std::string set;
  for (int i = 1; i <= 10000; ++i) set += (i > 1 ? "," : "") + std::to_string(i * 2);
  EXPECT_TRUE(ParseRequest("a FETCH " + set + " FLAGS", options));
  auto r = ParseRequest("a FETCH " + set + ",1 FLAGS", options);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().text, "Too many ranges in sequence set");
}

TEST(SaslAndIdle, Lines) {
  auto cancel = ParseSaslResponse("*");
  ASSERT_TRUE(cancel);
  EXPECT_FALSE(*cancel);
  auto r = ParseSaslResponse("AGZyZWQAcHc=");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ(**r, "\0fred\0pw"s);
  auto empty = ParseSaslResponse("");
  ASSERT_TRUE(empty && *empty);
  EXPECT_EQ(**empty, "");
  EXPECT_FALSE(ParseSaslResponse("not base64!"));
  EXPECT_TRUE(IsIdleDone("done"));
  EXPECT_FALSE(IsIdleDone("DONE "));
}

}  // namespace
}  // namespace pushmail::imap
