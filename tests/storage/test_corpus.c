/* Ingests the 453 real posts of ../shared/corpus/real into a temporary database
 * and checks, against values read by eye in those files, that what lands in
 * SQLite is what the files say: titles with non-ASCII, carousel titles in every
 * YAML style (plain, folded, single-quoted with '', double-quoted with \u, \x and
 * "\" continuations, null), -0400 and -0500 dates, the three posts sharing the
 * slug article_metadata, sources and domains, tag and author counts.
 * Usage: test_corpus CORPUS_DIR — exits 77 (skipped) when the folder is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest.h"

static const char *g_corpus;
static char g_tmp[64];
static char g_db[128];
static struct store *g_st;

static int64_t utc(int y, int mo, int d, int h, int mi, int s, int offset)
{
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) - offset;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/postd-test-corpus-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    snprintf(g_db, sizeof g_db, "%s/corpus.db", g_tmp);
    return store_open(&g_st, g_db, STORE_READWRITE);
}

static int group_teardown(void **state)
{
    (void)state;
    store_close(g_st);
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t k = 0; k < 4; k++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", g_db, suffix[k]);
        unlink(p);
    }
    rmdir(g_tmp);
    return 0;
}

static void test_ingest_all(void **state)
{
    (void)state;
    const char *dirs[] = {g_corpus};
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    struct ingest_opts o = {.dirs = dirs, .n_dirs = 1, .jobs = 0, .err = err};
    struct ingest_stats s;
    int rc = ingest_run(g_st, &o, &s);
    fclose(err);
    if (buf[0])
        fprintf(stderr, "%s", buf);
    assert_int_equal(rc, 0);
    assert_string_equal(buf, "");
    free(buf);
    assert_int_equal(s.added, 453);
    assert_int_equal(s.rejected, 0);
    assert_int_equal(s.skipped, 0);
    assert_int_equal(s.updated + s.unchanged + s.removed, 0);

    struct store_meta m;
    assert_int_equal(store_meta_get(g_st, (int64_t)time(NULL), 0, &m), 0);
    assert_int_equal(m.posts, 453);

    /* a second run changes nothing */
    o.err = stderr;
    assert_int_equal(ingest_run(g_st, &o, &s), 0);
    assert_int_equal(s.unchanged, 453);
    assert_int_equal(s.added + s.updated + s.rejected, 0);
    struct store_meta m2;
    assert_int_equal(store_meta_get(g_st, (int64_t)time(NULL), 0, &m2), 0);
    assert_int_equal(m2.generation, m.generation);
}

static void get(const char *key, struct post *p)
{
    struct store_ids cand = {0};
    post_init(p);
    int rc = store_post_get(g_st, key, (int64_t)time(NULL), 0, p, &cand);
    if (rc != 0)
        fail_msg("store_post_get(%s) = %d", key, rc);
    store_ids_clear(&cand);
}

/* The user's reference post: every carousel title style but ~ and empty. */
static void test_russia_nk_summit(void **state)
{
    (void)state;
    struct post p;
    get("2023-09-16-russia_nk_summit", &p);
    assert_string_equal(p.slug, "russia_nk_summit");
    assert_string_equal(p.title, "How does the summit between Putin and Kim Jong-un signal a "
                                 "potential shift in the relationship between Russia and North "
                                 "Korea?");
    assert_int_equal(p.date_utc, utc(2023, 9, 16, 1, 55, 2, -4 * 3600));
    assert_int_equal(p.date_offset, -4 * 3600);
    assert_string_equal(p.author, "winston");
    assert_string_equal(p.image, "/assets/a5097ed6-6b66-488a-b4c2-d807a3ba4e8d/combined.jpg");
    assert_int_equal(p.n_tags, 1);
    assert_string_equal(p.tags[0], "world news");

    assert_int_equal(p.n_sources, 10);
    assert_string_equal(
        p.sources[0].url,
        "https://www.nytimes.com/2023/09/13/world/europe/putin-kim-summit-analysis.html");
    assert_string_equal(p.sources[0].domain, "nytimes.com");
    assert_string_equal(p.sources[2].domain, "abcnews.go.com");
    /* nytimes npr abcnews.go aljazeera bbc dia.mil justice.gov cfr */
    assert_int_equal(p.n_domains, 8);
    assert_string_equal(p.domains[0], "nytimes.com");
    assert_string_equal(p.domains[7], "cfr.org");

    assert_int_equal(p.n_carousel, 10);
    assert_string_equal(p.carousel[0].domain, "www.npr.org");
    assert_string_equal(p.carousel[0].icon_path,
                        "/assets/a5097ed6-6b66-488a-b4c2-d807a3ba4e8d/source1_icon.jpg");
    /* single-quoted, folded over two lines */
    assert_string_equal(p.carousel[0].title, "Kim Jong Un vows full support for Russia as Putin "
                                             "pledges space tech for North Korea : NPR");
    /* plain, folded */
    assert_string_equal(p.carousel[1].title, "North Korea says Kim Jong Un has invited Russian "
                                             "President Vladimir Putin to his country - ABC News");
    /* plain, one line */
    assert_string_equal(p.carousel[2].title, "Russia-Ukraine war | Today's latest from Al Jazeera");
    /* double-quoted: \t escape, "\" continuation with an escaped space */
    assert_string_equal(p.carousel[4].title,
                        " \tDefense Intelligence Agency releases report: North Korea Military "
                        "Power > Defense Intelligence Agency > Article View ");
    /* single-quoted over three lines, leading and double spaces kept */
    assert_string_equal(p.carousel[5].title,
                        " Office of Public Affairs |  Three North Korean Military Hackers "
                        "Indicted in Wide-Ranging Scheme to Commit Cyberattacks and Financial "
                        "Crimes Across the Globe | United States Department of Justice");
    assert_null(p.carousel[9].title);
    assert_string_equal(
        p.carousel[9].link,
        "https://www.nytimes.com/2023/09/13/world/europe/putin-kim-summit-analysis.html");

    assert_int_equal(p.n_questions, 3);
    assert_string_equal(p.questions[0].question, "What specific needs does each leader have that "
                                                 "they hope to fulfill through this summit?");
    assert_non_null(p.summary_html);
    assert_non_null(strstr(p.summary_html, "<p>I. Introduction</p>"));
    post_clear(&p);
}

/* '' escapes, \u2018/\u2019/\u2013 and a continuation. */
static void test_article_metadata_2023_09_17(void **state)
{
    (void)state;
    struct post p;
    get("2023-09-17-article_metadata", &p);
    assert_string_equal(p.title, "How does Liv's experience in the Canadian wilderness in the "
                                 "series 'Keep Breathing' shape her character?");
    assert_int_equal(p.date_utc, utc(2023, 9, 17, 1, 15, 37, -4 * 3600));
    assert_string_equal(p.author, "ellie");
    assert_int_equal(p.n_carousel, 7);
    assert_int_equal(p.n_sources, 7);
    assert_string_equal(p.carousel[0].title, "Taylor Swift's 'Look What You Made Me Do': How "
                                             "'Wilderness' Got the Theme Song - Variety");
    assert_string_equal(p.carousel[2].title,
                        "Meet the Cast of \u2018Keep Breathing\u2019 - Netflix Tudum");
    assert_string_equal(p.carousel[4].title, "Winston Churchill: The Wilderness Years (TV Mini "
                                             "Series 1981) - Paul Freeman as Ralph Wigram - IMDb");
    assert_string_equal(p.carousel[5].title, "\u2018Wilderness\u2019: Jenna Coleman & Oliver "
                                             "Jackson-Cohen To Star In Series \u2013 Deadline");
    assert_string_equal(p.carousel[4].domain, "m.imdb.com");
    post_clear(&p);
}

/* é in the title, \xE9 in a carousel title, more sources than carousel items. */
static void test_making_of(void **state)
{
    (void)state;
    struct post p;
    get("2023-09-04-making-of-article", &p);
    assert_string_equal(
        p.title, "Exploring the Complexity and Ethics of Filmmaking: C\u00e9dric Kahn's Making Of");
    assert_int_equal(p.date_utc, utc(2023, 9, 4, 23, 2, 6, -4 * 3600));
    assert_int_equal(p.n_sources, 4);
    assert_int_equal(p.n_carousel, 3);
    assert_string_equal(p.carousel[0].title,
                        "\u2018Making Of\u2019 Review: Cedric Kahn\u2019s "
                        "Playful French Dramedy \u2013 The Hollywood Reporter");
    assert_string_equal(p.carousel[1].title, "C\u00e9dric Kahn - biography and films");
    assert_string_equal(p.carousel[1].domain, "www.frenchfilms.org");
    assert_string_equal(p.carousel[2].title, "Behind-the-scenes - Wikipedia");
    post_clear(&p);
}

/* The first generation: seven keys, no sources, an unquoted description. */
static void test_seven_keys(void **state)
{
    (void)state;
    struct post p;
    get("2023-08-12-ars_technica_arm64", &p);
    assert_string_equal(p.title, "Ars Technica Considers Potential Shift to ARM64-Based Systems");
    assert_string_equal(p.description,
                        "In an exciting turn of events, Ars Technica has successfully tackled "
                        "several challenges and is now considering a potential shift to "
                        "ARM64-based systems.");
    assert_string_equal(p.author, "tanner");
    assert_string_equal(p.layout, "post");
    assert_int_equal(p.date_utc, utc(2023, 8, 12, 0, 31, 12, -4 * 3600));
    assert_int_equal(p.n_sources, 0);
    assert_int_equal(p.n_carousel, 0);
    assert_int_equal(p.n_domains, 0);
    assert_int_equal(p.n_questions, 3);
    post_clear(&p);

    get("2023-08-25-beyonce_renaissance_world_tour", &p);
    assert_string_equal(p.title, "Join Beyonc\u00e9's Renaissance World Tour and Experience a "
                                 "Shimmering Human Disco Ball");
    assert_string_equal(p.image, "/assets/02ac1551-6588-410f-a19e-0a1da51bbdff.jpg");
    assert_string_equal(p.tags[0], "entertainment");
    post_clear(&p);

    get("2023-09-18-samipeople_relationship_with_tourism", &p);
    assert_non_null(strstr(p.title, "S\u00e1mi people"));
    post_clear(&p);
}

/* After the switch from daylight time: -0500. */
static void test_winter_offset(void **state)
{
    (void)state;
    struct post p;
    get("2023-11-05-sun_corona", &p);
    assert_string_equal(p.title, "Why is the Sun's corona so different from its surface?");
    assert_int_equal(p.date_offset, -5 * 3600);
    assert_int_equal(p.date_utc, utc(2023, 11, 5, 13, 54, 58, -5 * 3600));
    post_clear(&p);
}

/* Three posts named article_metadata stay three posts. */
static void test_shared_slug(void **state)
{
    (void)state;
    struct post p;
    struct store_ids cand = {0};
    post_init(&p);
    assert_int_equal(store_post_get(g_st, "article_metadata", (int64_t)time(NULL), 0, &p, &cand),
                     ST_AMBIGUOUS);
    assert_int_equal(cand.n, 3);
    assert_string_equal(cand.ids[0], "2023-11-08-article_metadata");
    assert_string_equal(cand.ids[1], "2023-11-06-article_metadata");
    assert_string_equal(cand.ids[2], "2023-09-17-article_metadata");
    store_ids_clear(&cand);
    post_clear(&p);

    get("2023-11-06-article_metadata", &p);
    assert_string_equal(p.slug, "article_metadata");
    assert_string_equal(p.author, "jack");
    assert_string_equal(p.tags[0], "science");
    assert_int_equal(p.date_offset, -5 * 3600);
    assert_int_equal(p.date_utc, utc(2023, 11, 6, 10, 3, 9, -5 * 3600));
    post_clear(&p);

    get("2023-11-08-article_metadata", &p);
    assert_string_equal(p.title, "What were the challenges faced by ChatGPT during the outage "
                                 "and how did OpenAI resolve them?");
    assert_int_equal(p.date_utc, utc(2023, 11, 8, 9, 51, 19, -5 * 3600));
    post_clear(&p);

    get("2023-08-22-article_metadata_technology", &p);
    assert_string_equal(p.slug, "article_metadata_technology");
    post_clear(&p);
}

/* Counted with grep over the corpus: tags and authors per post. */
static void test_terms(void **state)
{
    (void)state;
    struct store_terms t = {0};
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(store_terms_list(g_st, STORE_TERM_TAG, NULL, 0, 3, 0, now, 0, &t), 0);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.items[0].name, "sports");
    assert_int_equal(t.items[0].count, 81);
    assert_string_equal(t.items[1].name, "entertainment");
    assert_int_equal(t.items[1].count, 79);
    assert_string_equal(t.items[2].name, "world news");
    assert_int_equal(t.items[2].count, 76);
    assert_int_equal(t.total, 12);
    store_terms_clear(&t);

    assert_int_equal(store_terms_list(g_st, STORE_TERM_AUTHOR, NULL, 0, 20, 0, now, 0, &t), 0);
    assert_int_equal(t.n, 8);
    assert_string_equal(t.items[0].name, "ellie");
    assert_int_equal(t.items[0].count, 86);
    assert_string_equal(t.items[7].name, "sierra");
    assert_int_equal(t.items[7].count, 11);
    store_terms_clear(&t);
}

int main(int argc, char **argv)
{
    struct stat sb;
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    if (stat(argv[1], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "%s: no corpus folder, skipped\n", argv[1]);
        return 77;
    }
    g_corpus = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ingest_all),
        cmocka_unit_test(test_russia_nk_summit),
        cmocka_unit_test(test_article_metadata_2023_09_17),
        cmocka_unit_test(test_making_of),
        cmocka_unit_test(test_seven_keys),
        cmocka_unit_test(test_winter_offset),
        cmocka_unit_test(test_shared_slug),
        cmocka_unit_test(test_terms),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
