/* Unit tests for storage/body.c: markdown rendering with raw HTML kept, the
 * "## question" split, the <details> summary, Jekyll's excerpt, plain text and
 * word counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>

#include "body.h"
#include "frontmatter.h"

/* folders of posts whose bodies test_joined_real compares; from argv */
static char **g_dirs;
static int g_n_dirs;

static struct post parse_md(const char *md)
{
    struct post p;
    post_init(&p);
    assert_int_equal(body_parse(md, strlen(md), &p), 0);
    return p;
}

static void check_text(const char *html, const char *want)
{
    char *t = body_html_to_text(html, strlen(html));
    assert_non_null(t);
    assert_string_equal(t, want);
    free(t);
}

static void check_html(const char *md, const char *want)
{
    char *h = body_render_html(md, strlen(md));
    assert_non_null(h);
    assert_string_equal(h, want);
    free(h);
}

static void test_render_commonmark(void **state)
{
    (void)state;
    check_html("# Hi\n\nText *em* and **strong**.\n",
               "<h1>Hi</h1>\n<p>Text <em>em</em> and <strong>strong</strong>.</p>\n");
    check_html("~~gone~~\n", "<p><del>gone</del></p>\n");
    check_html("| a | b |\n|---|---|\n| 1 | 2 |\n",
               "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n"
               "<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n");
    check_html("see https://example.com/x now\n",
               "<p>see <a href=\"https://example.com/x\">https://example.com/x</a> now</p>\n");
    check_html("", "");
}

static void test_render_keeps_raw_html(void **state)
{
    (void)state;
    check_html("<div class=\"box\">\n<p>raw</p>\n</div>\n",
               "<div class=\"box\">\n<p>raw</p>\n</div>\n");
    check_html("a <span title=\"t\">b</span> c\n", "<p>a <span title=\"t\">b</span> c</p>\n");
}

static void test_text_tags_and_blocks(void **state)
{
    (void)state;
    check_text("<p>one</p><p>two</p>", "one two");
    check_text("<b>bo</b>ld <i>it</i>", "bold it");
    check_text("<li>a</li><li>b</li>", "a b");
    check_text("a<br>b<br/>c", "a b c");
    check_text("  <p>\n  spaced \t out\n</p>  ", "spaced out");
    check_text("<a href=\"x>y\" title='q>r'>link</a>", "link");
    check_text("x<!-- a comment <p> -->y", "xy");
    check_text("<script>var a = '<p>';</script>after<style>p{}</style>", "after");
    check_text("1 < 2 and 3 > 2", "1 < 2 and 3 > 2");
    check_text("a <b never closed", "a <b never closed");
    check_text("", "");
}

static void test_text_entities(void **state)
{
    (void)state;
    check_text("&amp; &lt; &gt; &quot; &#39; &apos;", "& < > \" ' '");
    check_text("caf&#233; caf&#xE9; caf&#XE9; &eacute;", "caf\xC3\xA9 caf\xC3\xA9 caf\xC3\xA9 "
                                                         "\xC3\xA9");
    check_text("a&nbsp;b", "a b");
    check_text("wait&hellip; &mdash; &rsquo;s", "wait\xE2\x80\xA6 \xE2\x80\x94 \xE2\x80\x99s");
    check_text("&unknownthing; &amp &#;", "&unknownthing; &amp &#;");
    check_text("&#0; &#x110000;", "\xEF\xBF\xBD \xEF\xBF\xBD");
}

static const char *sectioned = "Intro paragraph.\n"
                               "\n"
                               "## What is *first*?\n"
                               "First answer line.\n"
                               "\n"
                               "### A sub heading\n"
                               "More of the first.\n"
                               "\n"
                               "## Second `code`? ##\n"
                               "```\n"
                               "## not a question\n"
                               "```\n"
                               "Second answer.\n"
                               "# Top level\n"
                               "Not in any answer.\n"
                               "<details>\n"
                               "  <summary>Full summary</summary>\n"
                               "<p>Summary &amp; more</p>\n"
                               "<p>Second</p>\n"
                               "</details>\n"
                               "\n"
                               "## Third\n"
                               "Third answer.\n";

static void test_split_questions(void **state)
{
    (void)state;
    struct post p = parse_md(sectioned);
    assert_int_equal(p.n_questions, 3);
    assert_string_equal(p.questions[0].question, "What is first?");
    assert_string_equal(p.questions[0].answer_html,
                        "<p>First answer line.</p>\n<h3>A sub heading</h3>\n"
                        "<p>More of the first.</p>\n");
    assert_string_equal(p.questions[0].answer_text,
                        "First answer line. A sub heading More of the first.");
    assert_string_equal(p.questions[1].question, "Second code?");
    assert_string_equal(p.questions[1].answer_html,
                        "<pre><code>## not a question\n</code></pre>\n<p>Second answer.</p>\n");
    assert_string_equal(p.questions[2].question, "Third");
    assert_string_equal(p.questions[2].answer_text, "Third answer.");
    post_clear(&p);
}

static void test_summary(void **state)
{
    (void)state;
    struct post p = parse_md(sectioned);
    assert_string_equal(p.summary_html, "<p>Summary &amp; more</p>\n<p>Second</p>");
    assert_string_equal(p.summary_text, "Summary & more Second");
    post_clear(&p);

    p = parse_md("text\n\n<details><summary>S</summary>inner <b>x</b></details>\n");
    assert_string_equal(p.summary_html, "inner <b>x</b>");
    assert_string_equal(p.summary_text, "inner x");
    assert_int_equal(p.n_questions, 0);
    post_clear(&p);

    /* no summary tag: everything inside <details> */
    p = parse_md("<details>\nonly body\n</details>\n");
    assert_string_equal(p.summary_html, "only body");
    post_clear(&p);

    p = parse_md("## Q\nA\n");
    assert_null(p.summary_html);
    assert_null(p.summary_text);
    post_clear(&p);
}

static void test_details_ends_answer_and_questions_inside_are_ignored(void **state)
{
    (void)state;
    struct post p = parse_md("## Q1\nA1\n<details>\n<summary>s</summary>\n## inside\n"
                             "</details>\n## Q2\nA2\n");
    assert_int_equal(p.n_questions, 2);
    assert_string_equal(p.questions[0].answer_text, "A1");
    assert_string_equal(p.questions[1].question, "Q2");
    assert_string_equal(p.summary_html, "## inside");
    post_clear(&p);
}

static void test_heading_forms(void **state)
{
    (void)state;
    /* "##x" is no heading; an indented code line is no heading; "##" alone is
     * an empty question */
    struct post p = parse_md("##x\n\n    ## code\n\n  ## Indented ok\nbody\n##\n");
    assert_int_equal(p.n_questions, 2);
    assert_string_equal(p.questions[0].question, "Indented ok");
    assert_string_equal(p.questions[0].answer_text, "body");
    assert_string_equal(p.questions[1].question, "");
    assert_string_equal(p.questions[1].answer_html, "");
    post_clear(&p);

    /* tilde fences and a longer closing fence */
    p = parse_md("## Q\n~~~~\n## no\n~~~\n## still no\n~~~~~\nend\n");
    assert_int_equal(p.n_questions, 1);
    assert_string_equal(p.questions[0].answer_text, "## no ~~~ ## still no end");
    post_clear(&p);
}

static void test_crlf(void **state)
{
    (void)state;
    struct post p = parse_md("## Q one\r\nAnswer\r\n\r\n## Q two\r\nSecond\r\n");
    assert_int_equal(p.n_questions, 2);
    assert_string_equal(p.questions[0].question, "Q one");
    assert_string_equal(p.questions[0].answer_text, "Answer");
    assert_string_equal(p.excerpt_html, "<h2>Q one</h2>\n<p>Answer</p>\n");
    post_clear(&p);
}

static void test_excerpt(void **state)
{
    (void)state;
    struct post p = parse_md("First para\nline two.\n\nSecond para.\n");
    assert_string_equal(p.excerpt_html, "<p>First para\nline two.</p>\n");
    post_clear(&p);

    /* reference definitions after the cut are appended so links resolve */
    p = parse_md("See [x][1].\n\nMore.\n\n[1]: http://e.com/\n");
    assert_string_equal(p.excerpt_html, "<p>See <a href=\"http://e.com/\">x</a>.</p>\n");
    post_clear(&p);

    /* a body opening with a heading: heading plus its first paragraph */
    p = parse_md("## Q?\nAnswer.\n\n## Q2\nTwo.\n");
    assert_string_equal(p.excerpt_html, "<h2>Q?</h2>\n<p>Answer.</p>\n");
    post_clear(&p);

    /* no blank line: the whole body */
    p = parse_md("only one paragraph");
    assert_string_equal(p.excerpt_html, "<p>only one paragraph</p>\n");
    assert_string_equal(p.body_html, p.excerpt_html);
    post_clear(&p);
}

static void test_words(void **state)
{
    (void)state;
    struct post p = parse_md("one two  three\n\n*four*\n");
    assert_string_equal(p.body_text, "one two three four");
    assert_int_equal(p.word_count, 4);
    assert_int_equal(p.reading_minutes, 1);
    post_clear(&p);

    p = parse_md("");
    assert_int_equal(p.word_count, 0);
    assert_int_equal(p.reading_minutes, 0);
    assert_string_equal(p.body_html, "");
    assert_int_equal(p.n_questions, 0);
    post_clear(&p);

    /* 200 words is one minute, 201 is two */
    char md[2000] = "";
    for (int i = 0; i < 201; i++)
        strcat(md, "w ");
    p = parse_md(md);
    assert_int_equal(p.word_count, 201);
    assert_int_equal(p.reading_minutes, 2);
    md[400] = '\0';
    assert_int_equal(body_parse(md, strlen(md), &p), 0); /* reparse frees the old values */
    assert_int_equal(p.word_count, 200);
    assert_int_equal(p.reading_minutes, 1);
    post_clear(&p);
}

/* ---- one md4c call for all pieces (BODY_RENDER_JOINED) against one each ---- */

static void expect_same_str(const char *what, const char *a, const char *b, const char *md)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0)) {
        print_error("%s differs for markdown:\n---\n%s\n---\njoined: %s\neach:   %s\n", what, md,
                    a ? a : "(null)", b ? b : "(null)");
        fail();
    }
}

/* Parses md both ways and asserts every body field is the same. Returns
 * the number of questions. */
static size_t same_both_ways(const char *md, size_t len)
{
    struct post a, b;
    post_init(&a);
    post_init(&b);
    char *z = strndup(md, len); /* for messages */
    assert_non_null(z);
    assert_int_equal(body_parse_with(md, len, &a, BODY_RENDER_JOINED), 0);
    assert_int_equal(body_parse_with(md, len, &b, BODY_RENDER_EACH), 0);
    expect_same_str("body_html", a.body_html, b.body_html, z);
    expect_same_str("body_text", a.body_text, b.body_text, z);
    expect_same_str("excerpt_html", a.excerpt_html, b.excerpt_html, z);
    expect_same_str("summary_html", a.summary_html, b.summary_html, z);
    assert_int_equal(a.word_count, b.word_count);
    assert_int_equal(a.n_questions, b.n_questions);
    for (size_t i = 0; i < a.n_questions; i++) {
        expect_same_str("question", a.questions[i].question, b.questions[i].question, z);
        expect_same_str("answer_html", a.questions[i].answer_html, b.questions[i].answer_html, z);
        expect_same_str("answer_text", a.questions[i].answer_text, b.questions[i].answer_text, z);
    }
    size_t n = a.n_questions;
    free(z);
    post_clear(&a);
    post_clear(&b);
    return n;
}

/* Blocks that end where a piece ends, or reach into the next one if the
 * separator does not hold them off: the joined render must equal one call
 * per piece for each, alone and in any order. */
static const char *const blocks[] = {
    "## What happened?",
    "## Why *now* and `how`?",
    "## A [linked](https://example.com) &amp; heading ##",
    "## Heading with <span>html</span> and \\*escapes\\*",
    "##",
    "# A title",
    "### A sub-heading",
    "Plain paragraph with **bold**, _em_ and ~~strike~~.",
    "A paragraph\nthat goes on\nover lines  \nwith a hard break.",
    "- one\n- two\n- three",
    "- loose\n\n- list",
    "1. first\n2. second\n\n   continued inside",
    "- item\n  ## heading inside a list item",
    "> a quote\nlazily continued",
    "> quote\n>\n> - with a list",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "    indented code\n    more",
    "Setext title\n============",
    "Setext sub\n---",
    "***",
    "<div>\nraw *block*\n</div>",
    "<div class=\"x\">\n\ncontent after a blank line\n\n</div>",
    "<custom-tag>\nline\n</custom-tag>",
    "<details>\n<summary>Full summary</summary>\n<p>The summary.</p>\n</details>",
    "<details><summary>Full summary</summary>\n\nMarkdown *inside*\n\n</details>",
    "Visit www.example.com or <https://example.org> or mail@example.net.",
    "Entities: &copy; &#169; &#x3C; &lt;b&gt; &nbsp;x",
    "Inline `code <b>` and <b>bold html</b>.",
    "Line one\r\nline two\r\n\r\n## CRLF question?\r\nCRLF answer\r\n",
    "\tTabbed line\n\t- tabbed list",
    "Trailing spaces   \n\n\n\n",
    "[not a reference] and [link][nowhere]",
    "![image](/a.png \"title\")",
    "Text with a < sign and a > sign & an ampersand",
    "- [ ] task\n- [x] done",
    /* these make the post fall back to one call per piece */
    "```\nfenced code\n## not a heading\n",
    "~~~ruby\nputs 1\n~~~",
    "<!-- a comment -->",
    "<!-- an unclosed comment",
    "<pre>\npre text\n\n## inside pre",
    "<script>\nvar x = 1;\n\n</script>",
    "[ref]: https://example.com/ref\n\nUses [ref].",
    "Uses [ref] before its definition.",
    "<?php echo 1; ?>",
    "\xEF\xBB\xBF"
    "A paragraph after a byte order mark",
};
#define N_FALLBACK 10 /* the blocks at the end of the list */

static void test_joined_blocks_pairs(void **state)
{
    (void)state;
    size_t n = sizeof blocks / sizeof blocks[0];
    char md[4096];
    for (size_t i = 0; i < n; i++) {
        same_both_ways(blocks[i], strlen(blocks[i]));
        for (size_t j = 0; j < n; j++) {
            /* with and without a blank line between, and as a question's answer */
            int len = snprintf(md, sizeof md, "%s\n%s\n", blocks[i], blocks[j]);
            same_both_ways(md, (size_t)len);
            len = snprintf(md, sizeof md, "%s\n\n%s", blocks[i], blocks[j]);
            same_both_ways(md, (size_t)len);
            len = snprintf(md, sizeof md,
                           "## Q?\n%s\n## R?\n%s\n\n<details>\n<summary>S</summary>\n"
                           "x\n</details>\n",
                           blocks[i], blocks[j]);
            same_both_ways(md, (size_t)len);
        }
    }
}

static void test_joined_random_bodies(void **state)
{
    (void)state;
    size_t n = sizeof blocks / sizeof blocks[0];
    unsigned long long x = 0x9E3779B97F4A7C15ull; /* fixed seed: the same bodies every run */
    static const char *const glue[] = {"\n", "\n\n", "\n\n\n", "\r\n", " \n"};
    size_t questions = 0;
    for (int round = 0; round < 4000; round++) {
        char md[16384];
        size_t len = 0;
        int parts = 2 + (int)(x % 9);
        for (int k = 0; k < parts; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly the blocks that join; the fallback ones one time in eight */
            size_t pick =
                x % 8 ? (x >> 8) % (n - N_FALLBACK) : n - N_FALLBACK + (x >> 8) % N_FALLBACK;
            if ((x >> 20) % 3 == 0)
                pick = (x >> 24) % 3; /* more headings: more questions */
            const char *g = glue[(x >> 32) % 5];
            len += (size_t)snprintf(md + len, sizeof md - len, "%s%s", blocks[pick], g);
        }
        questions += same_both_ways(md, len);
    }
    assert_true(questions > 2000); /* the bodies had questions to split */
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Real bodies: every post of the folders given on the command line. */
static void test_joined_real(void **state)
{
    (void)state;
    int files = 0;
    for (int d = 0; d < g_n_dirs; d++) {
        DIR *dir = opendir(g_dirs[d]);
        if (!dir)
            continue;
        struct dirent *de;
        while ((de = readdir(dir))) {
            if (!has_suffix(de->d_name, ".md") && !has_suffix(de->d_name, ".markdown"))
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", g_dirs[d], de->d_name);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue;
            static char buf[1 << 20];
            size_t len = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[len] = '\0';
            struct fm_span span;
            fm_split(buf, len, &span);
            size_t off = span.has_front_matter ? span.body_off : 0;
            same_both_ways(buf + off, len - off);
            files++;
        }
        closedir(dir);
    }
    if (g_n_dirs > 0)
        assert_true(files > 0);
}

int main(int argc, char **argv)
{
    g_dirs = argv + 1;
    g_n_dirs = argc - 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_commonmark),
        cmocka_unit_test(test_render_keeps_raw_html),
        cmocka_unit_test(test_text_tags_and_blocks),
        cmocka_unit_test(test_text_entities),
        cmocka_unit_test(test_split_questions),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_details_ends_answer_and_questions_inside_are_ignored),
        cmocka_unit_test(test_heading_forms),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_excerpt),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_joined_blocks_pairs),
        cmocka_unit_test(test_joined_random_bodies),
        cmocka_unit_test(test_joined_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
