/* The database schema as a list of migration steps. Step i takes a database
 * from PRAGMA user_version i to i + 1 and runs in its own transaction
 * (store.c). Steps are append-only: once released, a step never changes;
 * a new version adds a step. It also names the term tables (store_kinds).
 *
 * Version 1:
 * - posts: one small row per post (the card fields and sort keys). rid is
 *   the rowid (and the posts_fts rowid); id is the public identity. title is
 *   NOCASE: title sorts and keyset comparisons ignore ASCII case.
 * - post_bodies: the heavy texts (kilobytes each), apart so that filters,
 *   counts and sorts walk a table of a few hundred bytes per post.
 * - tags, categories, authors: id, name (NOCASE UNIQUE, spelling first seen),
 *   slug (store_slugify of the name; not unique: "World News" and
 *   "world-news" are two tags with one slug). domains: normalized name and
 *   rname, the labels reversed ("com.nytimes.cooking"), so that a domain and
 *   its subdomains are one index range.
 * - post_tags, post_categories, post_authors, post_domains link a post (rid)
 *   to terms in file order (pos), with the post's own spelling in name when it
 *   differs from the term's. They repeat the post's date_utc: the index
 *   (term, date_utc) alone answers term counts of visible posts (8x faster
 *   than joining posts, measured on 20,000 posts), and it covers post_rid.
 * - post_sources, post_carousel, post_questions: the post's lists in order.
 * - posts_fts: FTS5 over title, description, questions, answers and summary,
 *   external content: the text is read from the view posts_search (no second
 *   copy), the index alone is stored. Its rowid is posts.rid; a trigger took
 *   a post out of the index before the post went (until version 2). body_text
 *   is kept only for posts without questions, and is then their "answers"
 *   text, so a post that is not in question form is still found by its body.
 * - meta: generation and last_ingest.
 * Every child table references posts(rid) ON DELETE CASCADE; unused terms are
 * removed when the transaction commits.
 *
 * Version 2: the store keeps posts_fts in step itself (store_write.c), with
 * one-row statements that bind the text from memory: FTS5 writes its pending
 * terms out as a new segment at every statement savepoint, which a trigger or
 * an INSERT ... SELECT opens, so the trigger made one segment per post (70%
 * of the ingest's time). And FTS5 gathers 16 MiB of terms before it writes a
 * segment (1 MiB by default): fewer, larger segments, less merging (text of
 * 50,000 posts: 15% less CPU). The store's own connection writes with
 * foreign_keys off and deletes child rows itself (store.c says why); the keys
 * declared here still hold, and hold for any other writer.
 *
 * Version 3: a summary's and an answer's HTML are not stored twice. Both are
 * pieces of the post's body_html; where the piece is found there byte for
 * byte, summary_html (answer_html) is NULL and summary_at and summary_len
 * (answer_at, answer_len) give its byte range in body_html, else the column
 * holds the HTML as before (rows written by version 2 keep theirs). 2.7 KB of
 * a post's 10.4 KB of text, at 100,000 generated posts: the file 1.64 ->
 * 1.27 GB, a first ingest 9.9-11.4 -> 8.7-9.7 s (3 alternating pairs). The
 * views post_summaries and post_answers give the HTML whichever way it is
 * kept. */
#include "store_internal.h"

const struct term_kind store_kinds[4] = {
    [STORE_TERM_TAG] = {"tags", "post_tags", "tag_id", 1, 1},
    [STORE_TERM_DOMAIN] = {"domains", "post_domains", "domain_id", 0, 0},
    [STORE_TERM_AUTHOR] = {"authors", "post_authors", "author_id", 1, 1},
    [STORE_TERM_CATEGORY] = {"categories", "post_categories", "category_id", 1, 1},
};

static const char schema_v1[] =
    "CREATE TABLE posts ("
    " rid INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " slug TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " title TEXT NOT NULL COLLATE NOCASE,"
    " description TEXT,"
    " author TEXT,"
    " image TEXT,"
    " date_utc INTEGER NOT NULL,"
    " date_offset INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL,"
    " hash TEXT,"
    " path TEXT,"
    " layout TEXT,"
    " word_count INTEGER NOT NULL DEFAULT 0,"
    " reading_minutes INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE post_bodies ("
    " rid INTEGER PRIMARY KEY REFERENCES posts(rid) ON DELETE CASCADE,"
    " summary_html TEXT,"
    " summary_text TEXT,"
    " excerpt_html TEXT,"
    " front_matter TEXT,"
    " body_html TEXT,"
    " body_text TEXT);"
    "CREATE INDEX posts_date ON posts(date_utc, id);"
    "CREATE INDEX posts_title ON posts(title, id);"
    "CREATE INDEX posts_updated ON posts(updated_at, id);"
    "CREATE INDEX posts_slug ON posts(slug);"

    "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " slug TEXT NOT NULL);"
    "CREATE INDEX tags_slug ON tags(slug);"
    "CREATE TABLE categories (id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE, slug TEXT NOT NULL);"
    "CREATE INDEX categories_slug ON categories(slug);"
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " slug TEXT NOT NULL);"
    "CREATE INDEX authors_slug ON authors(slug);"
    "CREATE TABLE domains (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " rname TEXT NOT NULL UNIQUE);"

    "CREATE TABLE post_tags ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " tag_id INTEGER NOT NULL REFERENCES tags(id),"
    " name TEXT,"
    " date_utc INTEGER NOT NULL,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    "CREATE INDEX post_tags_tag ON post_tags(tag_id, date_utc);"
    "CREATE TABLE post_categories ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " category_id INTEGER NOT NULL REFERENCES categories(id),"
    " name TEXT,"
    " date_utc INTEGER NOT NULL,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    "CREATE INDEX post_categories_category ON post_categories(category_id, date_utc);"
    "CREATE TABLE post_authors ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " author_id INTEGER NOT NULL REFERENCES authors(id),"
    " name TEXT,"
    " date_utc INTEGER NOT NULL,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    "CREATE INDEX post_authors_author ON post_authors(author_id, date_utc);"
    "CREATE TABLE post_domains ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " domain_id INTEGER NOT NULL REFERENCES domains(id),"
    " name TEXT,"
    " date_utc INTEGER NOT NULL,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    "CREATE INDEX post_domains_domain ON post_domains(domain_id, date_utc);"

    "CREATE TABLE post_sources ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " url TEXT,"
    " domain TEXT,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    "CREATE TABLE post_carousel ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " domain TEXT,"
    " link TEXT,"
    " title TEXT,"
    " icon_path TEXT,"
    " image_path TEXT,"
    " PRIMARY KEY (post_rid, pos)) WITHOUT ROWID;"
    /* answers can be kilobytes: a rowid table keeps the index cells small */
    "CREATE TABLE post_questions ("
    " post_rid INTEGER NOT NULL REFERENCES posts(rid) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " question TEXT,"
    " answer_html TEXT,"
    " answer_text TEXT,"
    " UNIQUE (post_rid, pos));"

    /* the search text of a post, rebuilt from its rows: posts_fts indexes it
     * without a second copy, and removes it again from the same text */
    "CREATE VIEW posts_search (rid, title, description, questions, answers, summary) AS"
    " SELECT p.rid, p.title, p.description,"
    " (SELECT group_concat(question, char(10)) FROM (SELECT question FROM post_questions q"
    " WHERE q.post_rid = p.rid ORDER BY q.pos)),"
    " coalesce((SELECT group_concat(answer_text, char(10)) FROM (SELECT answer_text"
    " FROM post_questions q WHERE q.post_rid = p.rid ORDER BY q.pos)), b.body_text),"
    " b.summary_text FROM posts p LEFT JOIN post_bodies b ON b.rid = p.rid;"
    "CREATE VIRTUAL TABLE posts_fts USING fts5(title, description, questions, answers, summary,"
    " content = 'posts_search', content_rowid = 'rid',"
    " tokenize = 'unicode61 remove_diacritics 2');"
    /* BEFORE: the questions are still there to rebuild the indexed text */
    "CREATE TRIGGER posts_fts_delete BEFORE DELETE ON posts BEGIN"
    " INSERT INTO posts_fts (posts_fts, rowid, title, description, questions, answers, summary)"
    " SELECT 'delete', rid, title, description, questions, answers, summary FROM posts_search"
    " WHERE rid = old.rid; END;"

    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta (key, value) VALUES ('generation', 0), ('last_ingest', 0);";

/* v2: no trigger, a 16 MiB FTS5 buffer (see the top of this file) */
static const char schema_v2[] =
    "DROP TRIGGER IF EXISTS posts_fts_delete;"
    "INSERT INTO posts_fts (posts_fts, rank) VALUES ('hashsize', 16777216);";

/* v3: HTML kept once (see the top of this file). substr() counts bytes in a
 * BLOB, characters in TEXT: the ranges are bytes. */
static const char schema_v3[] =
    "ALTER TABLE post_bodies ADD COLUMN summary_at INTEGER;"
    "ALTER TABLE post_bodies ADD COLUMN summary_len INTEGER;"
    "ALTER TABLE post_questions ADD COLUMN answer_at INTEGER;"
    "ALTER TABLE post_questions ADD COLUMN answer_len INTEGER;"
    "CREATE VIEW post_summaries (rid, summary_html, summary_text) AS"
    " SELECT rid, coalesce(summary_html, CAST(substr(CAST(body_html AS BLOB), summary_at + 1,"
    " summary_len) AS TEXT)), summary_text FROM post_bodies;"
    "CREATE VIEW post_answers (post_rid, pos, question, answer_html, answer_text) AS"
    " SELECT q.post_rid, q.pos, q.question,"
    " coalesce(q.answer_html, CAST(substr(CAST(b.body_html AS BLOB), q.answer_at + 1,"
    " q.answer_len) AS TEXT)), q.answer_text"
    " FROM post_questions q LEFT JOIN post_bodies b ON b.rid = q.post_rid;";

const char *const store_migrations[] = {
    schema_v1,
    schema_v2,
    schema_v3,
};
const int store_n_migrations = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
