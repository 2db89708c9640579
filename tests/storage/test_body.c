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

#include "body.h"

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

int main(void)
{
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
