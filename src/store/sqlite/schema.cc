#include "store/sqlite/schema.h"

#include <array>

#include "base/log.h"

namespace pushmail::store::sqlite {
namespace {

// Migration N takes the schema from version N to N+1. Never edit one that has shipped: add a
// new one at the end.
constexpr std::array kMigrations = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE accounts (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  login           TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash   TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  modseq          INTEGER NOT NULL DEFAULT 0,  -- last modseq handed out for this account
  email_state     INTEGER NOT NULL DEFAULT 0,  -- modseq of the last Email change
  mailbox_state   INTEGER NOT NULL DEFAULT 0,
  thread_state    INTEGER NOT NULL DEFAULT 0,
  push_seq        INTEGER NOT NULL DEFAULT 0   -- one per commit that touched the account
);
CREATE TABLE addresses (
  address    TEXT PRIMARY KEY COLLATE NOCASE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE INDEX addresses_account ON addresses(account_id);
CREATE TABLE mailboxes (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  parent_id     INTEGER REFERENCES mailboxes(id),
  role          TEXT,
  sort_order    INTEGER NOT NULL DEFAULT 0,
  subscribed    INTEGER NOT NULL DEFAULT 1,
  uidvalidity   INTEGER NOT NULL,
  uidnext       INTEGER NOT NULL DEFAULT 1,
  highestmodseq INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);
-- Where each blob's bytes are in the segment files (store/blob_file.h).
CREATE TABLE blobs (
  id      TEXT PRIMARY KEY,  -- "G" + hex SHA-256 of the content
  size    INTEGER NOT NULL,
  segment INTEGER NOT NULL,
  offset  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE threads (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE TABLE emails (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  blob_id     TEXT NOT NULL REFERENCES blobs(id),
  thread_id   INTEGER NOT NULL REFERENCES threads(id),
  size        INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  message_id  TEXT,
  summary     TEXT NOT NULL,  -- JSON made by mime::Parse: envelope, body structure, preview
  modseq      INTEGER NOT NULL
);
CREATE INDEX emails_account ON emails(account_id, received_at);
CREATE INDEX emails_thread ON emails(thread_id);
CREATE INDEX emails_blob ON emails(blob_id);
-- Message-IDs seen per account, to thread replies with what they refer to.
CREATE TABLE message_ids (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  message_id TEXT NOT NULL,
  thread_id  INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
-- An email's place in a mailbox: its UID there, keywords and last modseq.
CREATE TABLE mailbox_emails (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid        INTEGER NOT NULL,
  email_id   INTEGER NOT NULL REFERENCES emails(id) ON DELETE CASCADE,
  keywords   TEXT NOT NULL DEFAULT '',  -- space-separated JMAP keywords, e.g. "$seen $flagged"
  modseq     INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX mailbox_emails_email ON mailbox_emails(email_id);
CREATE INDEX mailbox_emails_modseq ON mailbox_emails(mailbox_id, modseq);
-- UIDs removed from a mailbox, for IMAP QRESYNC VANISHED.
CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid        INTEGER NOT NULL,
  modseq     INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
-- The per-account change log behind JMAP */changes and IMAP QRESYNC.
CREATE TABLE changes (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  modseq     INTEGER NOT NULL,
  type       INTEGER NOT NULL,  -- store::DataType
  object_id  INTEGER NOT NULL,
  op         INTEGER NOT NULL,  -- store::ChangeOp
  PRIMARY KEY (account_id, type, modseq, object_id)
) WITHOUT ROWID;
)sql",
    // 1 -> 2: the last UIDVALIDITY handed out per account, so that a mailbox made again under
    // an earlier name never gets an earlier mailbox's UIDVALIDITY (RFC 9051 2.3.1.1).
    R"sql(
ALTER TABLE accounts ADD COLUMN last_uidvalidity INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET last_uidvalidity =
  (SELECT coalesce(max(uidvalidity), 0) FROM mailboxes WHERE account_id = accounts.id);
CREATE INDEX mailboxes_parent ON mailboxes(parent_id);
)sql",
    // 2 -> 3: Bearer tokens from the login endpoint, stored as their SHA-256 only, so that a
    // copy of the database lets nobody in. Revoking deletes the row.
    R"sql(
CREATE TABLE access_tokens (
  hash       BLOB PRIMARY KEY,  -- SHA-256 of the token
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX access_tokens_account ON access_tokens(account_id);
)sql",
    // 3 -> 4: JMAP Email: uploaded blobs (RFC 8620 6.1) and the Email/query sort keys and
    // conditions the summary holds. (The full-text index lives in a database of its own: see
    // kSearchMigrations.)
    R"sql(
CREATE TABLE uploads (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  blob_id    TEXT NOT NULL REFERENCES blobs(id),
  type       TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX uploads_blob ON uploads(account_id, blob_id);
CREATE INDEX uploads_created ON uploads(created_at);
ALTER TABLE emails ADD COLUMN sent_at INTEGER;
ALTER TABLE emails ADD COLUMN has_attachment INTEGER NOT NULL DEFAULT 0;
ALTER TABLE emails ADD COLUMN from_sort TEXT NOT NULL DEFAULT '';
ALTER TABLE emails ADD COLUMN to_sort TEXT NOT NULL DEFAULT '';
ALTER TABLE emails ADD COLUMN subject_sort TEXT NOT NULL DEFAULT '';
UPDATE emails SET
  sent_at = json_extract(summary, '$.sentAt'),
  has_attachment = coalesce(json_extract(summary, '$.hasAttachment'), 0),
  from_sort = lower(coalesce(nullif(json_extract(summary, '$.from[0].name'), ''),
                             json_extract(summary, '$.from[0].email'), '')),
  to_sort = lower(coalesce(nullif(json_extract(summary, '$.to[0].name'), ''),
                           json_extract(summary, '$.to[0].email'), '')),
  subject_sort = lower(coalesce(json_extract(summary, '$.subject'), ''));
)sql",
    // 4 -> 5: JMAP identities, vacation responses and email submissions (RFC 8621 6-8), with
    // their states; every account gets an identity of its login that cannot be deleted.
    R"sql(
ALTER TABLE accounts ADD COLUMN identity_state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN submission_state INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN vacation_state INTEGER NOT NULL DEFAULT 0;
CREATE TABLE identities (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name           TEXT NOT NULL DEFAULT '',
  email          TEXT NOT NULL,
  reply_to       TEXT NOT NULL DEFAULT '',  -- JSON EmailAddress[]; '' for null
  bcc            TEXT NOT NULL DEFAULT '',
  text_signature TEXT NOT NULL DEFAULT '',
  html_signature TEXT NOT NULL DEFAULT '',
  may_delete     INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX identities_account ON identities(account_id);
INSERT INTO identities (account_id, email, may_delete) SELECT id, login, 0 FROM accounts;
CREATE TABLE vacation_responses (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  enabled    INTEGER NOT NULL DEFAULT 0,
  from_date  INTEGER,  -- Unix seconds; NULL: no bound
  to_date    INTEGER,
  subject    TEXT,
  text_body  TEXT,
  html_body  TEXT
);
-- Whom each vacation response answered last and when (RFC 3834 2: once per sender and period).
CREATE TABLE vacation_replies (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sender     TEXT NOT NULL COLLATE NOCASE,
  replied_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;
CREATE TABLE email_submissions (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  identity_id     INTEGER NOT NULL,  -- no references: both may be destroyed after sending
  email_id        INTEGER NOT NULL,
  thread_id       INTEGER NOT NULL,
  envelope        TEXT NOT NULL,     -- JSON Envelope
  send_at         INTEGER NOT NULL,
  undo_status     TEXT NOT NULL,
  delivery_status TEXT NOT NULL      -- JSON: recipient -> DeliveryStatus
);
CREATE INDEX email_submissions_account ON email_submissions(account_id, send_at);
)sql",
    // 5 -> 6: Web Push subscriptions (JMAP PushSubscription, RFC 8620 7.2).
    R"sql(
CREATE TABLE push_subscriptions (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id        INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  device_client_id  TEXT NOT NULL,
  url               TEXT NOT NULL,
  p256dh            TEXT NOT NULL DEFAULT '',  -- base64url; '' when pushes are not encrypted
  auth              TEXT NOT NULL DEFAULT '',
  verification_code TEXT NOT NULL,
  verified          INTEGER NOT NULL DEFAULT 0,
  expires           INTEGER,                   -- Unix seconds; NULL: never
  types             TEXT                       -- comma-separated type names; NULL: all
);
CREATE INDEX push_subscriptions_account ON push_subscriptions(account_id);
)sql",
    // 6 -> 7: bridged accounts (src/bridge, docs/bridge.md): the upstream IMAP mailbox each
    // local one mirrors, and which upstream message each local one is. A row outlives its local
    // message (the largest upstream UID ever mirrored is what incremental sync starts from).
    R"sql(
CREATE TABLE bridge_mailboxes (
  mailbox_id    INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  uidvalidity   INTEGER NOT NULL,
  highestmodseq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE bridge_messages (
  mailbox_id   INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uidvalidity  INTEGER NOT NULL,
  upstream_uid INTEGER NOT NULL,
  uid          INTEGER NOT NULL,  -- the local UID in mailbox_emails
  PRIMARY KEY (mailbox_id, uidvalidity, upstream_uid)
) WITHOUT ROWID;
)sql",
};

// The full-text index's own database (search.db beside the store): it can always be rebuilt
// from the store, so it is written without fsync and apart from the store's writer.
// email_fts holds one document per email, its rowid the email's id (emails never reuse ids);
// contentless, so documents of destroyed emails stay behind, matching no email. `progress`
// says up to which email id everything is indexed.
constexpr std::array kSearchMigrations = {
    R"sql(
CREATE VIRTUAL TABLE email_fts USING fts5(subject, addr_from, addr_to, addr_cc, addr_bcc, body,
  headers, content='', tokenize='unicode61 remove_diacritics 2');
CREATE TABLE progress (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  upto INTEGER NOT NULL  -- every email with an id up to this one is indexed
);
INSERT INTO progress (id, upto) VALUES (1, 0);
)sql",
};

template <size_t N>
ErrorCode Apply(Db& db, const std::array<const char*, N>& migrations, const char* what) {
  int version = UserVersion(db);
  if (version < 0) return MakeError(Errc::kIo);
  if (version > static_cast<int>(N)) {
    spdlog::error("{} schema version {} is newer than this binary's {}", what, version, N);
    return MakeError(Errc::kInvalidArgument);
  }
  for (; version < static_cast<int>(N); ++version) {
    std::string sql = "BEGIN IMMEDIATE;";
    sql += migrations[version];
    sql += "PRAGMA user_version=" + std::to_string(version + 1) + "; COMMIT;";
    if (auto ec = db.Exec(sql)) {
      db.Exec("ROLLBACK");
      return ec;
    }
    spdlog::info("{} schema migrated to version {}", what, version + 1);
  }
  return {};
}

}  // namespace

int UserVersion(Db& db) {
  auto stmt = db.Prepare("PRAGMA user_version");
  auto row = stmt.Step();
  return row && *row ? static_cast<int>(stmt.Int(0)) : -1;
}

int SchemaVersion() { return static_cast<int>(kMigrations.size()); }

ErrorCode Migrate(Db& db) { return Apply(db, kMigrations, "store"); }

ErrorCode MigrateSearch(Db& db) { return Apply(db, kSearchMigrations, "search index"); }

}  // namespace pushmail::store::sqlite
