/* The post body: markdown rendered by md4c, the "## Question?" sections, the
 * <details><summary> block, Jekyll's excerpt, plain text and word counts.
 * md4c is used with its GitHub dialect (CommonMark + tables, strikethrough,
 * task lists, permissive autolinks) and without MD_FLAG_NOHTML, so raw HTML
 * passes through as Jekyll's kramdown passes it. The section split is a line
 * walk over the markdown source that skips fenced code blocks: a level-2 ATX
 * heading opens a question, a level-1/2 heading or a <details> line closes it,
 * level 3+ headings stay inside the answer. This is the only file that
 * includes md4c. */
#include "body.h"

#include <ctype.h>
#include <md4c-html.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "status.h"

#define MD_PARSER_FLAGS (MD_DIALECT_GITHUB)
#define MD_RENDER_FLAGS (MD_HTML_FLAG_SKIP_UTF8_BOM)
#define WORDS_PER_MINUTE 200

struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
};

static void sb_grow_add(struct sbuf *b, const char *s, size_t n)
{
    /* a length that would overflow the doubling below is out of memory too */
    if (b->oom || n > PTRDIFF_MAX / 2 - b->n) {
        b->oom = 1;
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* Appends n bytes; the common case (room left) stays inline: md4c and the
 * text extraction call this for every few bytes. */
static inline void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->cap - b->n > n) { /* room for n bytes and the NUL */
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = '\0';
        return;
    }
    sb_grow_add(b, s, n);
}

/* Hands over the buffer as a NUL-terminated string ("" when empty), or NULL
 * after an allocation failure. */
static char *sb_take(struct sbuf *b)
{
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p)
        return strdup("");
    return b->p;
}

static void md_out(const MD_CHAR *text, MD_SIZE size, void *userdata)
{
    sb_add(userdata, text, size);
}

char *body_render_html(const char *md, size_t len)
{
    struct sbuf b = {0};
    if (md_html(md, (MD_SIZE)len, md_out, &b, MD_PARSER_FLAGS, MD_RENDER_FLAGS) != 0)
        b.oom = 1;
    return sb_take(&b);
}

/* ---- HTML to text ---- */

struct entity {
    const char *name;
    unsigned cp;
};

/* The named references that occur in practice; unknown ones stay as written. */
static const struct entity entities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},     {"nbsp", ' '},      {"copy", 0xA9},    {"reg", 0xAE},
    {"trade", 0x2122},  {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"sbquo", 0x201A}, {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"bdquo", 0x201E},  {"laquo", 0xAB},   {"raquo", 0xBB},
    {"lsaquo", 0x2039}, {"rsaquo", 0x203A}, {"bull", 0x2022},  {"middot", 0xB7},
    {"deg", 0xB0},      {"euro", 0x20AC},   {"pound", 0xA3},   {"yen", 0xA5},
    {"cent", 0xA2},     {"sect", 0xA7},     {"para", 0xB6},    {"times", 0xD7},
    {"divide", 0xF7},   {"plusmn", 0xB1},   {"frac12", 0xBD},  {"frac14", 0xBC},
    {"frac34", 0xBE},   {"sup2", 0xB2},     {"sup3", 0xB3},    {"micro", 0xB5},
    {"iexcl", 0xA1},    {"iquest", 0xBF},   {"shy", 0xAD},     {"dagger", 0x2020},
    {"Dagger", 0x2021}, {"prime", 0x2032},  {"Prime", 0x2033}, {"larr", 0x2190},
    {"rarr", 0x2192},   {"uarr", 0x2191},   {"darr", 0x2193},  {"harr", 0x2194},
    {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},    {"minus", 0x2212},
    {"infin", 0x221E},  {"ensp", 0x2002},   {"emsp", 0x2003},  {"thinsp", 0x2009},
    {"zwnj", 0x200C},   {"zwj", 0x200D},    {"Agrave", 0xC0},  {"Aacute", 0xC1},
    {"Acirc", 0xC2},    {"Atilde", 0xC3},   {"Auml", 0xC4},    {"Aring", 0xC5},
    {"AElig", 0xC6},    {"Ccedil", 0xC7},   {"Egrave", 0xC8},  {"Eacute", 0xC9},
    {"Ecirc", 0xCA},    {"Euml", 0xCB},     {"Igrave", 0xCC},  {"Iacute", 0xCD},
    {"Icirc", 0xCE},    {"Iuml", 0xCF},     {"Ntilde", 0xD1},  {"Ograve", 0xD2},
    {"Oacute", 0xD3},   {"Ocirc", 0xD4},    {"Otilde", 0xD5},  {"Ouml", 0xD6},
    {"Oslash", 0xD8},   {"Ugrave", 0xD9},   {"Uacute", 0xDA},  {"Ucirc", 0xDB},
    {"Uuml", 0xDC},     {"Yacute", 0xDD},   {"szlig", 0xDF},   {"agrave", 0xE0},
    {"aacute", 0xE1},   {"acirc", 0xE2},    {"atilde", 0xE3},  {"auml", 0xE4},
    {"aring", 0xE5},    {"aelig", 0xE6},    {"ccedil", 0xE7},  {"egrave", 0xE8},
    {"eacute", 0xE9},   {"ecirc", 0xEA},    {"euml", 0xEB},    {"igrave", 0xEC},
    {"iacute", 0xED},   {"icirc", 0xEE},    {"iuml", 0xEF},    {"ntilde", 0xF1},
    {"ograve", 0xF2},   {"oacute", 0xF3},   {"ocirc", 0xF4},   {"otilde", 0xF5},
    {"ouml", 0xF6},     {"oslash", 0xF8},   {"ugrave", 0xF9},  {"uacute", 0xFA},
    {"ucirc", 0xFB},    {"uuml", 0xFC},     {"yacute", 0xFD},  {"yuml", 0xFF},
    {"OElig", 0x152},   {"oelig", 0x153},   {"Scaron", 0x160}, {"scaron", 0x161},
    {"Alpha", 0x391},   {"Beta", 0x392},    {"Gamma", 0x393},  {"Delta", 0x394},
    {"alpha", 0x3B1},   {"beta", 0x3B2},    {"gamma", 0x3B3},  {"delta", 0x3B4},
    {"pi", 0x3C0},      {"mu", 0x3BC},      {"sigma", 0x3C3},  {"omega", 0x3C9},
};

/* Tags whose boundaries separate words. */
static const char *const block_tags[] = {
    "address", "article", "aside",  "blockquote", "br",      "caption",  "dd",
    "details", "dialog",  "div",    "dl",         "dt",      "fieldset", "figcaption",
    "figure",  "footer",  "form",   "h1",         "h2",      "h3",       "h4",
    "h5",      "h6",      "header", "hr",         "li",      "main",     "nav",
    "ol",      "option",  "p",      "pre",        "section", "summary",  "table",
    "tbody",   "td",      "tfoot",  "th",         "thead",   "tr",       "ul",
};

static void put_utf8(struct sbuf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    sb_add(b, u, n);
}

/* Decodes the reference at s[0] == '&'. Returns the bytes consumed, or 0 when
 * it is not a reference we know (then '&' is literal). */
static size_t decode_entity(const char *s, size_t len, unsigned *cp)
{
    size_t i = 1;
    if (i < len && s[i] == '#') {
        int hex = 0;
        unsigned long v = 0;
        size_t digits = 0;
        i++;
        if (i < len && (s[i] == 'x' || s[i] == 'X')) {
            hex = 1;
            i++;
        }
        for (; i < len && digits < 8; i++, digits++) {
            int c = (unsigned char)s[i];
            if (hex && isxdigit(c))
                v = v * 16 + (unsigned long)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
            else if (!hex && isdigit(c))
                v = v * 10 + (unsigned long)(c - '0');
            else
                break;
        }
        if (digits == 0 || i >= len || s[i] != ';')
            return 0;
        *cp = v > 0x10FFFF ? 0xFFFD : (unsigned)v;
        return i + 1;
    }
    size_t start = i;
    while (i < len && i - start < 32 && isalnum((unsigned char)s[i]))
        i++;
    if (i == start || i >= len || s[i] != ';')
        return 0;
    for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
        if (strlen(entities[k].name) == i - start &&
            memcmp(entities[k].name, s + start, i - start) == 0) {
            *cp = entities[k].cp;
            return i + 1;
        }
    }
    return 0;
}

static int is_block_tag(const char *name, size_t n)
{
    /* ASCII-lowercased once, then compared whole (this runs for every tag) */
    char low[16];
    if (n == 0 || n >= sizeof(low))
        return 0;
    for (size_t i = 0; i < n; i++)
        low[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
    low[n] = '\0';
    for (size_t k = 0; k < sizeof(block_tags) / sizeof(block_tags[0]); k++)
        if (block_tags[k][0] == low[0] && strcmp(block_tags[k], low) == 0)
            return 1;
    return 0;
}

static const char *find_ci(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || n > len)
        return n == 0 ? s : NULL;
    /* the needles start with punctuation: jump between its occurrences */
    int first = (unsigned char)needle[0];
    int jump = !isalpha(first);
    for (size_t i = 0; i + n <= len; i++) {
        if (jump) {
            const char *p = memchr(s + i, first, len - n + 1 - i);
            if (!p)
                return NULL;
            i = (size_t)(p - s);
        }
        if (strncasecmp(s + i, needle, n) == 0)
            return s + i;
    }
    return NULL;
}

/* Skips a tag starting at s[0] == '<'; returns the bytes it spans (to after
 * '>', quotes respected), whether it separates words, and whether it opens
 * raw text (1 script, 2 style). 0 = not a tag. */
static size_t skip_tag(const char *s, size_t len, int *block, int *raw_text)
{
    size_t i = 1;
    int closing = 0;
    *block = 0;
    *raw_text = 0;
    if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
        const char *end = find_ci(s + 4, len - 4, "-->");
        return end ? (size_t)(end - s) + 3 : len;
    }
    if (i < len && (s[i] == '!' || s[i] == '?')) {
        const char *end = memchr(s, '>', len);
        return end ? (size_t)(end - s) + 1 : len;
    }
    if (i < len && s[i] == '/') {
        closing = 1;
        i++;
    }
    size_t name = i;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    if (i == name || !isalpha((unsigned char)s[name]))
        return 0;
    size_t name_len = i - name;
    char quote = 0;
    for (; i < len; i++) {
        if (quote) {
            if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '>') {
            break;
        }
    }
    *block = is_block_tag(s + name, name_len);
    if (!closing && name_len == 6 && strncasecmp(s + name, "script", 6) == 0)
        *raw_text = 1;
    if (!closing && name_len == 5 && strncasecmp(s + name, "style", 5) == 0)
        *raw_text = 2;
    return i < len ? i + 1 : 0; /* no '>': a literal '<' */
}

/* Bytes that end a run of plain text in body_html_to_text: '<', '&' and
 * the whitespace it collapses (a table: this test runs for every byte). */
static const unsigned char text_special[256] = {
    ['<'] = 1, ['&'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1,
};

char *body_html_to_text(const char *html, size_t len)
{
    struct sbuf b = {0};
    int space = 0; /* a separator is pending */
    size_t i = 0;
    /* the text is never longer than the HTML: one allocation */
    b.p = malloc(len + 1);
    if (!b.p)
        return NULL;
    b.cap = len + 1;
    b.p[0] = '\0';
    while (i < len) {
        unsigned char c = (unsigned char)html[i];
        if (c == '<') {
            int block, raw;
            size_t n = skip_tag(html + i, len - i, &block, &raw);
            if (n > 0) {
                if (raw) {
                    /* script/style content is not text */
                    const char *end =
                        find_ci(html + i + n, len - i - n, raw == 2 ? "</style" : "</script");
                    if (!end) {
                        i = len;
                        break;
                    }
                    i = (size_t)(end - html);
                    space = 1;
                    continue;
                }
                if (block)
                    space = 1;
                i += n;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            space = 1;
            i++;
            continue;
        }
        if (space && b.n > 0)
            sb_add(&b, " ", 1);
        space = 0;
        if (c == '&') {
            unsigned cp;
            size_t n = decode_entity(html + i, len - i, &cp);
            if (n > 0) {
                if (cp == ' ' || cp == 0xA0)
                    space = 1; /* &nbsp; separates like a space */
                else
                    put_utf8(&b, cp);
                i += n;
                continue;
            }
        }
        /* the run of plain bytes from here (c itself may be a '<' or '&'
         * that starts no tag or reference) */
        size_t j = i + 1;
        for (;;) {
            while (j < len && !text_special[(unsigned char)html[j]])
                j++;
            /* one plain space between two words stays in the run as it is */
            if (j + 1 < len && html[j] == ' ' && !text_special[(unsigned char)html[j + 1]]) {
                j += 2;
                continue;
            }
            break;
        }
        sb_add(&b, html + i, j - i);
        i = j;
    }
    return sb_take(&b);
}

/* ---- line walk ---- */

struct line {
    const char *s; /* start */
    size_t len;    /* without "\n" and a trailing "\r" */
    size_t next;   /* offset of the following line */
};

static int next_line(const char *md, size_t len, size_t off, struct line *ln)
{
    if (off >= len)
        return 0;
    const char *nl = memchr(md + off, '\n', len - off);
    size_t end = nl ? (size_t)(nl - md) : len;
    ln->s = md + off;
    ln->len = end - off;
    if (ln->len > 0 && ln->s[ln->len - 1] == '\r')
        ln->len--;
    ln->next = nl ? end + 1 : len;
    return 1;
}

static size_t indent_of(const struct line *ln)
{
    size_t i = 0;
    while (i < ln->len && ln->s[i] == ' ')
        i++;
    return i;
}

/* A fence line: up to 3 spaces, then 3+ '`' or '~'. Returns the run length. */
static size_t fence_run(const struct line *ln, char *ch)
{
    size_t i = indent_of(ln);
    if (i > 3 || i >= ln->len || (ln->s[i] != '`' && ln->s[i] != '~'))
        return 0;
    char c = ln->s[i];
    size_t n = 0;
    while (i + n < ln->len && ln->s[i + n] == c)
        n++;
    if (n < 3)
        return 0;
    if (c == '`' && memchr(ln->s + i + n, '`', ln->len - i - n))
        return 0; /* a backtick fence's info string has no backticks */
    *ch = c;
    return n;
}

static int fence_closes(const struct line *ln, char ch, size_t open_len)
{
    char c;
    size_t n = fence_run(ln, &c);
    if (n < open_len || c != ch)
        return 0;
    size_t i = indent_of(ln) + n;
    for (; i < ln->len; i++)
        if (ln->s[i] != ' ' && ln->s[i] != '\t')
            return 0;
    return 1;
}

/* The level (1-6) of an ATX heading line, else 0. */
static int atx_level(const struct line *ln)
{
    size_t i = indent_of(ln);
    if (i > 3)
        return 0;
    int level = 0;
    while (i < ln->len && ln->s[i] == '#' && level < 7) {
        level++;
        i++;
    }
    if (level == 0 || level > 6)
        return 0;
    if (i < ln->len && ln->s[i] != ' ' && ln->s[i] != '\t')
        return 0;
    return level;
}

static int is_details_open(const struct line *ln)
{
    size_t i = indent_of(ln);
    if (i > 3 || ln->len - i < 8 || strncasecmp(ln->s + i, "<details", 8) != 0)
        return 0;
    if (ln->len - i == 8)
        return 1;
    char c = ln->s[i + 8];
    return c == '>' || c == ' ' || c == '\t' || c == '/';
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

static char *dup_trimmed(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

/* A piece of the markdown to render: the excerpt, the body, and for each
 * "## Question?" section its heading line (indent stripped) and its answer
 * (blank lines around it trimmed). */
struct piece {
    const char *md;
    size_t len;
    char *html; /* owned until handed to the post */
};

/* The pieces in render order: [0] excerpt, [1] body, then a heading and an
 * answer per question. */
struct walk {
    struct post *p;
    struct piece *v;
    size_t n, cap;
    int rc;
};

static void add_piece(struct walk *w, const char *md, size_t len)
{
    if (w->rc)
        return;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct piece *v = realloc(w->v, cap * sizeof(*v));
        if (!v) {
            w->rc = ST_NOMEM;
            return;
        }
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = (struct piece){md, len, NULL};
}

static void add_section(struct walk *w, const struct line *heading, const char *ans, size_t n)
{
    /* the answer without its leading and trailing blank lines */
    while (n > 0 && (ans[0] == '\n' || ans[0] == '\r' || ans[0] == ' ' || ans[0] == '\t')) {
        const char *nl = memchr(ans, '\n', n);
        if (!nl || !is_blank(ans, (size_t)(nl - ans)))
            break;
        n -= (size_t)(nl - ans) + 1;
        ans = nl + 1;
    }
    while (n > 0 && isspace((unsigned char)ans[n - 1]))
        n--;
    size_t ind = indent_of(heading);
    add_piece(w, heading->s + ind, heading->len - ind);
    add_piece(w, ans, n);
}

/* Fills summary_html/summary_text from the <details> block starting at
 * md[start]; returns the offset just after its closing tag (or len). */
static size_t take_details(struct walk *w, const char *md, size_t len, size_t start)
{
    const char *tag_end = memchr(md + start, '>', len - start);
    size_t inner = tag_end ? (size_t)(tag_end - md) + 1 : len;
    const char *close = find_ci(md + inner, len - inner, "</details>");
    size_t end = close ? (size_t)(close - md) : len;
    const char *sum = find_ci(md + inner, end - inner, "</summary>");
    if (sum)
        inner = (size_t)(sum - md) + strlen("</summary>");
    if (!w->p->summary_html && !w->rc) {
        w->p->summary_html = dup_trimmed(md + inner, end - inner);
        w->p->summary_text = w->p->summary_html
                                 ? body_html_to_text(w->p->summary_html, strlen(w->p->summary_html))
                                 : NULL;
        if (!w->p->summary_html || !w->p->summary_text)
            w->rc = ST_NOMEM;
    }
    return close ? end + strlen("</details>") : len;
}

static void split_sections(struct walk *w, const char *md, size_t len)
{
    struct line ln, heading = {0};
    int in_question = 0;
    size_t answer_start = 0;
    char fence_ch = 0;
    size_t fence_len = 0;
    size_t off = 0;

    while (!w->rc && next_line(md, len, off, &ln)) {
        size_t here = off;
        off = ln.next;
        if (fence_len) {
            if (fence_closes(&ln, fence_ch, fence_len))
                fence_len = 0;
            continue;
        }
        char ch;
        size_t run = fence_run(&ln, &ch);
        if (run) {
            fence_ch = ch;
            fence_len = run;
            continue;
        }
        int level = atx_level(&ln);
        int details = !level && is_details_open(&ln);
        if ((level >= 1 && level <= 2) || details) {
            if (in_question)
                add_section(w, &heading, md + answer_start, here - answer_start);
            in_question = 0;
        }
        if (level == 2) {
            heading = ln;
            in_question = 1;
            answer_start = ln.next;
        } else if (details) {
            size_t after = take_details(w, md, len, here + indent_of(&ln));
            /* resume at the line after the closing tag */
            const char *nl = after < len ? memchr(md + after, '\n', len - after) : NULL;
            off = nl ? (size_t)(nl - md) + 1 : len;
        }
    }
    if (in_question)
        add_section(w, &heading, md + answer_start, len - answer_start);
}

/* ---- excerpt ---- */

/* Jekyll's excerpt source: everything before the first blank line ("\n\n"),
 * plus the link reference definitions found after it so links still resolve.
 * Two deliberate differences: a "\n\r\n" also counts, so CRLF files get a
 * first paragraph too; and the body given here starts after the blank lines
 * that follow the front matter, so a post opening with two blank lines gets
 * its first paragraph where Jekyll's excerpt would be empty. */
static char *excerpt_source(const char *md, size_t len, size_t *out_len)
{
    size_t cut = len, tail = len;
    for (size_t i = 0; i + 1 < len; i++) {
        if (md[i] != '\n')
            continue;
        if (md[i + 1] == '\n') {
            cut = i;
            tail = i + 2;
            break;
        }
        if (md[i + 1] == '\r' && i + 2 < len && md[i + 2] == '\n') {
            cut = i;
            tail = i + 3;
            break;
        }
    }
    struct sbuf b = {0};
    sb_add(&b, md, cut);
    if (tail < len) {
        int first = 1;
        sb_add(&b, "\n\n", 2);
        struct line ln;
        for (size_t off = tail; next_line(md, len, off, &ln); off = ln.next) {
            /* ^ {0,3}\[[^\]]+\]:.+$ */
            size_t i = indent_of(&ln);
            if (i > 3 || i >= ln.len || ln.s[i] != '[')
                continue;
            const char *rb = memchr(ln.s + i + 1, ']', ln.len - i - 1);
            if (!rb || rb == ln.s + i + 1)
                continue;
            size_t k = (size_t)(rb - ln.s) + 1;
            if (k + 1 >= ln.len || ln.s[k] != ':')
                continue;
            if (!first)
                sb_add(&b, "\n", 1);
            sb_add(&b, ln.s, ln.len);
            first = 0;
        }
    }
    char *s = sb_take(&b);
    *out_len = s ? strlen(s) : 0;
    return s;
}

static int count_words(const char *s)
{
    int n = 0, in_word = 0;
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            n++;
        }
    }
    return n;
}

static void clear_body(struct post *p)
{
    for (size_t i = 0; i < p->n_questions; i++) {
        free(p->questions[i].question);
        free(p->questions[i].answer_html);
        free(p->questions[i].answer_text);
    }
    free(p->questions);
    p->questions = NULL;
    p->n_questions = 0;
    free(p->summary_html);
    free(p->summary_text);
    free(p->body_html);
    free(p->body_text);
    free(p->excerpt_html);
    p->summary_html = p->summary_text = p->body_html = p->body_text = p->excerpt_html = NULL;
    p->word_count = 0;
    p->reading_minutes = 0;
}

/* ---- rendering ---- */

/* md_html builds its escape tables on every call, which costs more than
 * rendering a short answer, and a post has 2 + 2 x questions pieces to
 * render: the excerpt, each heading and answer, and the whole body. So they
 * are rendered in one call, as one document with a separator line after
 * each: an HTML comment, which md4c passes through as it is. A piece then
 * gets the HTML a call of its own gives it as long as nothing in it reaches
 * past the blank lines around a separator. These can, and a post that has
 * one of them anywhere (none of the 453 real posts in their bodies) gets
 * one call per piece instead:
 * - fenced code and the HTML blocks that end only at their closing tag or
 *   marker (<pre, <script, <style, <textarea, <!-- and other <!, <?), which
 *   would swallow the separator ("```", "~~~", "<!", "<?", "<pre", ...);
 * - a link reference definition ("]:"), which would resolve links in the
 *   other pieces;
 * - a BOM at the start of a later piece, which md4c skips only at the start
 *   of a document.
 * With no "<!" in the markdown, the separator is the only "<!" md4c writes
 * (it escapes every "<" it makes from text), so the HTML splits back into
 * the pieces exactly; a count that does not add up falls back too. */
#define SEPARATOR "<!--postd:piece-->"

/* The bytes that may start something reaching past a separator. */
static const unsigned char reach_start[256] = {['<'] = 1, ['`'] = 1, ['~'] = 1, [']'] = 1};

static int reaches_out(const char *s, size_t n)
{
    static const char *const type1[] = {"pre", "script", "style", "textarea"};
    for (size_t i = 0; i + 1 < n; i++) {
        if (!reach_start[(unsigned char)s[i]])
            continue;
        const char *c = s + i;
        size_t left = n - i - 1;
        switch (*c) {
        case '<':
            if (c[1] == '!' || c[1] == '?')
                return 1;
            for (size_t k = 0; k < sizeof type1 / sizeof type1[0]; k++) {
                size_t tl = strlen(type1[k]);
                if ((c[1] | 0x20) == type1[k][0] && left >= tl &&
                    strncasecmp(c + 1, type1[k], tl) == 0)
                    return 1;
            }
            break;
        case ']':
            if (c[1] == ':')
                return 1;
            break;
        default: /* ` or ~ */
            if (left >= 2 && c[1] == *c && c[2] == *c)
                return 1;
        }
    }
    return 0;
}

/* The pieces after the first two are parts of the body ([1]), and the
 * excerpt ([0]) is a start of it plus reference definitions, so the body
 * alone is searched. A BOM is skipped only at the start of the document. */
static int joinable(const struct piece *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (v[i].len >= 3 && memcmp(v[i].md, "\xEF\xBB\xBF", 3) == 0)
            return 0;
    return !reaches_out(v[1].md, v[1].len);
}

/* One call for all pieces. Returns 0, 1 when the HTML does not split into n
 * pieces (nothing set), or ST_NOMEM. */
static int render_joined(struct piece *v, size_t n)
{
    static const char sep[] = "\n\n" SEPARATOR "\n\n";
    static const char cut[] = SEPARATOR "\n";
    struct sbuf doc = {0};
    for (size_t i = 0; i < n; i++) {
        sb_add(&doc, v[i].md, v[i].len);
        sb_add(&doc, sep, sizeof sep - 1);
    }
    if (doc.oom) {
        free(doc.p);
        return ST_NOMEM;
    }
    char *html = body_render_html(doc.p, doc.n);
    free(doc.p);
    if (!html)
        return ST_NOMEM;
    int rc = 0;
    const char *at = html;
    size_t i = 0;
    for (; i < n; i++) {
        const char *end = strstr(at, cut);
        if (!end) {
            rc = 1;
            break;
        }
        v[i].html = strndup(at, (size_t)(end - at));
        if (!v[i].html) {
            rc = ST_NOMEM;
            break;
        }
        at = end + sizeof cut - 1;
    }
    if (rc == 0 && *at)
        rc = 1;
    if (rc)
        for (size_t k = 0; k < i; k++) {
            free(v[k].html);
            v[k].html = NULL;
        }
    free(html);
    return rc;
}

static int render_pieces(struct piece *v, size_t n, enum body_render mode)
{
    if (mode == BODY_RENDER_JOINED && joinable(v, n)) {
        int rc = render_joined(v, n);
        if (rc != 1)
            return rc;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].html = body_render_html(v[i].md, v[i].len);
        if (!v[i].html)
            return ST_NOMEM;
    }
    return 0;
}

/* Moves the rendered pieces (in struct walk's order) into the post. */
static int take_pieces(struct post *p, struct piece *v, size_t n_questions)
{
    p->excerpt_html = v[0].html;
    p->body_html = v[1].html;
    v[0].html = v[1].html = NULL;
    p->body_text = body_html_to_text(p->body_html, strlen(p->body_html));
    if (!p->body_text)
        return ST_NOMEM;
    if (n_questions == 0)
        return 0;
    p->questions = calloc(n_questions, sizeof(*p->questions));
    if (!p->questions)
        return ST_NOMEM;
    p->n_questions = n_questions;
    for (size_t i = 0; i < n_questions; i++) {
        struct post_question *q = &p->questions[i];
        char *h = v[2 + 2 * i].html;
        q->question = body_html_to_text(h, strlen(h));
        q->answer_html = v[3 + 2 * i].html;
        v[3 + 2 * i].html = NULL;
        q->answer_text = body_html_to_text(q->answer_html, strlen(q->answer_html));
        if (!q->question || !q->answer_text)
            return ST_NOMEM;
    }
    return 0;
}

int body_parse_with(const char *md, size_t len, struct post *p, enum body_render mode)
{
    struct walk w = {.p = p};
    size_t ex_len = 0;
    int rc = ST_NOMEM;

    clear_body(p);
    char *ex = excerpt_source(md, len, &ex_len);
    if (!ex)
        goto out;
    add_piece(&w, ex, ex_len);
    add_piece(&w, md, len);
    split_sections(&w, md, len);
    if ((rc = w.rc) == 0)
        rc = render_pieces(w.v, w.n, mode);
    if (rc == 0)
        rc = take_pieces(p, w.v, (w.n - 2) / 2);
    if (rc == 0) {
        p->word_count = count_words(p->body_text);
        p->reading_minutes = (p->word_count + WORDS_PER_MINUTE - 1) / WORDS_PER_MINUTE;
    }
out:
    for (size_t i = 0; i < w.n; i++)
        free(w.v[i].html);
    free(w.v);
    free(ex);
    if (rc)
        clear_body(p);
    return rc;
}

int body_parse(const char *md, size_t len, struct post *p)
{
    return body_parse_with(md, len, p, BODY_RENDER_JOINED);
}
