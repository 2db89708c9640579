/* postd-gen: writes deterministic sample posts in exactly the layout of the real
 * Jekyll posts postd serves (both front-matter generations, "## Question?" body
 * sections and a <details> summary), from a small vocabulary of its own and a
 * seeded PRNG, so that the same arguments always produce the same bytes.
 * The samples also carry the awkward cases ingest must handle: every YAML scalar
 * style for carousel titles, categories from `_posts` folders, unknown keys, a
 * date far from the file-name date, `published: false`, a slug shared by several
 * dates, many posts with one timestamp, posts dated 2099 and files to skip.
 *
 * The bundled samples/posts/ were made, from the repository root, with:
 *
 *     build/postd-gen --out samples/posts
 *
 * (the defaults: --count 220 --seed 1 --start-date 2023-08-12). Write into an
 * empty folder: files of an earlier run are not removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- vocabulary (written for this tool) ---------------------------------- */

struct org {
    const char *name;
    const char *slug;
};

static const struct org ORGS[] = {
    {"Harbor City Council", "harbor_council"},
    {"The Northwind Institute", "northwind"},
    {"Lumen Robotics", "lumen_robotics"},
    {"Copperfield Bank", "copperfield_bank"},
    {"The Alder Foundation", "alder_foundation"},
    {"Vantage Aerospace", "vantage_aerospace"},
    {"Riverbend University", "riverbend"},
    {"Keystone Health", "keystone_health"},
    {"Bluefin Logistics", "bluefin"},
    {"The Meadowlark Orchestra", "meadowlark"},
    {"Granite Peak Rangers", "granite_peak"},
    {"Solace Pharmaceuticals", "solace_pharma"},
    {"Tidewater Energy", "tidewater"},
    {"Quillon Games", "quillon_games"},
    {"Saffron Kitchen Collective", "saffron_kitchen"},
    {"Ostrava Rail", "ostrava_rail"},
};

struct place {
    const char *name;
    const char *slug;
};

static const struct place PLACES[] = {
    {"Lisbon", "lisbon"},      {"Montréal", "montreal"},     {"Osaka", "osaka"},
    {"Nairobi", "nairobi"},    {"Reykjavík", "reykjavik"},   {"Tucson", "tucson"},
    {"Zürich", "zurich"},      {"São Paulo", "sao-paulo"},   {"Hanoi", "hanoi"},
    {"Galway", "galway"},      {"Perth", "perth"},           {"Tbilisi", "tbilisi"},
    {"Québec City", "quebec"}, {"Oaxaca", "oaxaca"},         {"Bergen", "bergen"},
    {"Gdańsk", "gdansk"},      {"Valparaíso", "valparaiso"}, {"Kraków", "krakow"},
};

/* Places whose names need \x or \u escapes in a double-quoted YAML scalar. */
static const char *const ACCENTED[] = {"Montréal", "Québec City", "Reykjavík",
                                       "Gdańsk",   "Valparaíso",  "Kraków"};

static const char *const VERBS[] = {
    "unveils", "expands",  "pauses",   "rethinks",          "tests",       "funds",
    "delays",  "launches", "revisits", "wins approval for", "scales back", "doubles"};
static const char *const VERBS_BASE[] = {"expand", "pause", "rethink", "test",
                                         "fund",   "delay", "launch",  "revisit"};
static const char *const ADJS[] = {"ambitious",    "quiet",           "low-cost", "regional",
                                   "experimental", "long-awaited",    "modular",  "community-led",
                                   "overdue",      "record-breaking", "cautious", "open-source"};

struct noun {
    const char *name;
    const char *slug;
};

static const struct noun NOUNS[] = {
    {"transit plan", "transit_plan"},
    {"water recycling project", "water_recycling"},
    {"battery plant", "battery_plant"},
    {"youth league", "youth_league"},
    {"fusion experiment", "fusion_experiment"},
    {"coastal survey", "coastal_survey"},
    {"broadband rollout", "broadband"},
    {"vaccine study", "vaccine_study"},
    {"housing pilot", "housing_pilot"},
    {"night-train service", "night_trains"},
    {"satellite network", "satellite_network"},
    {"reading program", "reading_program"},
    {"wildfire response", "wildfire_response"},
    {"trade agreement", "trade_agreement"},
    {"stadium renovation", "stadium_renovation"},
    {"soil study", "soil_study"},
    {"film festival", "film_festival"},
    {"chess tournament", "chess_tournament"},
};

static const char *const GROUPS[] = {
    "local residents", "small businesses",  "commuters", "students",
    "farmers",         "researchers",       "investors", "fans",
    "nurses",          "first-time buyers", "teachers",  "tourists"};

static const char *const AUTHORS[] = {"ada", "basil", "cleo", "dmitri", "esme", "felix"};

static const char *const TAGS[] = {"world news", "technology",    "science",
                                   "sports",     "culture",       "business & finance",
                                   "health",     "travel & food", "climate"};

static const char *const CATEGORIES[] = {"analysis", "briefing", "weekly", "explainer"};

struct domain {
    const char *host;
    const char *site;
};

static const struct domain DOMAINS[] = {
    {"www.harborledger.com", "Harbor Ledger"},
    {"news.northwindpost.org", "Northwind Post"},
    {"www.kestrelreview.net", "Kestrel Review"},
    {"blog.quartzlab.io", "Quartz Lab Blog"},
    {"www.meridiantimes.co.uk", "Meridian Times"},
    {"sports.fieldnotes.com", "Field Notes Sports"},
    {"uk.news.tidewire.com", "Tidewire UK"},
    {"www.orbitjournal.org", "Orbit Journal"},
    {"science.lanternmag.com", "Lantern Science"},
    {"www.cobaltdaily.com", "Cobalt Daily"},
    {"markets.ironbridge.co", "Ironbridge Markets"},
    {"www.fernwoodgazette.ca", "Fernwood Gazette"},
    {"health.pulsewatch.org", "Pulsewatch Health"},
    {"www.saltmarshradio.fm", "Saltmarsh Radio"},
    {"travel.compassrose.de", "Compass Rose Travel"},
    {"www.bytegarden.dev", "Byte Garden"},
    {"edition.globalfold.com", "Global Fold"},
    {"www.lakesidechronicle.us", "Lakeside Chronicle"},
};

/* Answer sentences. %1 org, %2 noun, %3 place, %4 group, %5 adjective. */
static const char *const SENTENCES[] = {
    "The %2 is expected to change daily life for %4 in %3, according to people close to the plan.",
    "%1 said the first phase would begin in %3 before the end of the year.",
    "Critics argue that the %5 approach leaves %4 with fewer choices and higher costs.",
    "Supporters point to a similar effort in %3, where waiting times fell within two years.",
    "Officials have not yet said how the %2 will be paid for once the initial grant runs out.",
    "Several %4 told reporters they had heard about the %2 only after the announcement.",
    "A review published last spring found that %5 projects of this size often run late.",
    "%1 expects to publish detailed figures on the %2 in the coming months.",
    "The decision follows months of public meetings in %3 and a petition signed by %4.",
    "Independent analysts describe the %2 as %5 but broadly in line with regional trends.",
    "If the timeline holds, %4 could see the first results before next summer.",
    "The plan also includes a smaller trial that will run alongside the %2 in %3.",
    "Representatives of %4 have asked for a seat on the committee overseeing the work.",
    "Weather, supply delays and staffing remain the largest risks to the %2, %1 said.",
};

static const char *const QUESTIONS[] = {
    "How will the %2 affect %4 in %3?",
    "Why did %1 decide to %6 the %2 now?",
    "What are the main risks of the %5 %2?",
    "Who benefits most from the %2?",
    "What happens next for %1 and its partners?",
    "How does the %2 compare with earlier efforts in %3?",
    "What should %4 expect over the next year?",
};

static const char *const HEADINGS[] = {"Background",        "What changed",    "Reactions",
                                       "Costs and funding", "What comes next", "Conclusion"};

/* ---- deterministic PRNG (splitmix64) ------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. The modulo bias is irrelevant for sample text. */
static unsigned rnd(struct rng *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

#define PICK(r, a) ((a)[rnd((r), ARRAY_LEN(a))])

/* ---- growable buffer ----------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 8192;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "postd-gen: out of memory\n");
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* ---- dates (proleptic Gregorian, no libc time zone involved) ------------- */

static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (unsigned)(m + (m > 2 ? -3 : 9)) + 2) / 5 + (unsigned)d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

/* 0 = Sunday. */
static int weekday(int64_t days)
{
    return (int)((days % 7 + 11) % 7);
}

/* US Eastern offset of a local day, in hours: -4 from the second Sunday of March
 * to the day before the first Sunday of November, else -5 (the real posts use both). */
static int eastern_offset(int64_t day)
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    int64_t mar1 = days_from_civil(y, 3, 1), nov1 = days_from_civil(y, 11, 1);
    int64_t dst_start = mar1 + (7 - weekday(mar1)) % 7 + 7;
    int64_t dst_end = nov1 + (7 - weekday(nov1)) % 7;
    return day >= dst_start && day < dst_end ? -4 : -5;
}

/* ---- YAML scalar writers ------------------------------------------------- */

/* Can s be written as a plain scalar in a block mapping value and still read back
 * as the same string? Our vocabulary only needs the common exclusions. */
static int plain_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
        return 0;
    if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
        return 0;
    return strstr(s, ": ") == NULL && strstr(s, " #") == NULL && strchr(s, '\t') == NULL;
}

/* Writes s as a plain or single-quoted scalar, folding at spaces past `width`
 * columns onto continuation lines indented by `indent` spaces (a single line
 * break folds back into one space, as YAML defines for both styles). */
static void yaml_folded(struct buf *b, const char *s, int quoted, size_t col, size_t width,
                        const char *indent)
{
    if (quoted)
        buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == ' ' && col > width && p[1] && p[1] != ' ' && p > s && p[-1] != ' ') {
            buf_puts(b, "\n");
            buf_puts(b, indent);
            col = strlen(indent);
            continue;
        }
        if (quoted && *p == '\'') {
            buf_puts(b, "''");
            col += 2;
            continue;
        }
        buf_add(b, p, 1);
        col++;
    }
    if (quoted)
        buf_puts(b, "'");
}

/* Decodes one UTF-8 sequence (input is our own valid UTF-8). */
static unsigned utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    unsigned c = *p++;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    if (extra)
        c &= 0x3fu >> extra;
    while (extra-- > 0)
        c = (c << 6) | (*p++ & 0x3fu);
    *pp = p;
    return c;
}

/* Writes s double-quoted with non-ASCII as \xNN or \uNNNN escapes, breaking long
 * lines the way PyYAML does: "\" at the end of the line, then the next line starts
 * with "\ " (an escaped space, so the space survives the line folding). */
static void yaml_double(struct buf *b, const char *s, size_t col, size_t width, const char *indent)
{
    buf_puts(b, "\"");
    col++;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == ' ' && col > width && p[1]) {
            buf_puts(b, "\\\n");
            buf_puts(b, indent);
            buf_puts(b, "\\ ");
            col = strlen(indent) + 2;
            p++;
            continue;
        }
        unsigned c = utf8_next(&p);
        if (c == '"' || c == '\\') {
            buf_printf(b, "\\%c", (char)c);
            col += 2;
        } else if (c < 0x80) {
            char ch = (char)c;
            buf_add(b, &ch, 1);
            col++;
        } else if (c <= 0xff) {
            buf_printf(b, "\\x%02X", c);
            col += 4;
        } else {
            buf_printf(b, "\\u%04X", c);
            col += 6;
        }
    }
    buf_puts(b, "\"");
}

/* Double-quoted with raw UTF-8, as the real posts write titles and descriptions. */
static void yaml_double_raw(struct buf *b, const char *s)
{
    buf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_puts(b, "\\");
        buf_add(b, p, 1);
    }
    buf_puts(b, "\"");
}

/* ---- text -------------------------------------------------------------- */

struct words {
    const char *org, *noun, *place, *group, *adj, *verb_base;
};

/* Expands %1..%6 of a template; an organisation named "The ..." is written
 * "the ..." inside a sentence. */
static void expand(struct buf *b, const char *t, const struct words *w)
{
    for (const char *p = t; *p; p++) {
        if (*p == '%' && p[1] >= '1' && p[1] <= '6') {
            const char *v[] = {w->org, w->noun, w->place, w->group, w->adj, w->verb_base};
            const char *s = v[p[1] - '1'];
            if (p != t && strncmp(s, "The ", 4) == 0) {
                buf_puts(b, "the");
                s += 3;
            }
            buf_puts(b, s);
            p++;
        } else {
            buf_add(b, p, 1);
        }
    }
}

static void pick_words(struct rng *r, struct words *w)
{
    w->org = PICK(r, ORGS).name;
    w->noun = PICK(r, NOUNS).name;
    w->place = PICK(r, PLACES).name;
    w->group = PICK(r, GROUPS);
    w->adj = PICK(r, ADJS);
    w->verb_base = PICK(r, VERBS_BASE);
}

/* One paragraph of n sentences about w: distinct sentences (a random walk with a
 * step coprime to the list length), words varied per sentence. */
static void paragraph(struct buf *b, struct rng *r, const struct words *w, int n)
{
    static const unsigned steps[] = {1, 3, 5, 9, 11, 13};
    unsigned at = rnd(r, ARRAY_LEN(SENTENCES)), step = PICK(r, steps);
    for (int i = 0; i < n; i++) {
        struct words v = *w;
        if (rnd(r, 3) == 0)
            v.group = PICK(r, GROUPS);
        if (rnd(r, 3) == 0)
            v.adj = PICK(r, ADJS);
        if (i)
            buf_puts(b, " ");
        expand(b, SENTENCES[at], &v);
        at = (at + step) % ARRAY_LEN(SENTENCES);
    }
}

static void uuid(struct rng *r, char out[37])
{
    uint64_t a = rng_next(r), c = rng_next(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffffu, (unsigned)a & 0xfffu,
             0x8000u | ((unsigned)(c >> 48) & 0x3fffu),
             (unsigned long long)(c & 0xffffffffffffULL));
}

/* ---- one post ------------------------------------------------------------ */

enum title_style {
    TS_PLAIN,
    TS_PLAIN_FOLDED,
    TS_SINGLE,
    TS_SINGLE_FOLDED,
    TS_DOUBLE,
    TS_DOUBLE_FOLDED,
    TS_NULL,
    TS_TILDE,
    TS_EMPTY,
    TS_COUNT
};

/* Writes one carousel title line ("  title: ..."), the value in the given style. */
static void carousel_title(struct buf *b, struct rng *r, enum title_style style,
                           const struct words *w, const struct domain *dom)
{
    char text[512];
    const char *noun = w->noun;
    switch (style) {
    case TS_PLAIN:
        snprintf(text, sizeof text, "%s %s %s | %s", w->org, PICK(r, VERBS), noun, dom->site);
        break;
    case TS_PLAIN_FOLDED:
        snprintf(text, sizeof text, "Inside the %s %s in %s and what it means for %s - %s", w->adj,
                 noun, w->place, w->group, dom->site);
        break;
    case TS_SINGLE:
        snprintf(text, sizeof text, "'%s' is the word %s's staff use for the %s", PICK(r, ADJS),
                 w->org, noun);
        break;
    case TS_SINGLE_FOLDED:
        snprintf(text, sizeof text, "%s's %s: critics and supporters in %s weigh in - %s", w->org,
                 noun, w->place, dom->site);
        break;
    case TS_DOUBLE:
        snprintf(text, sizeof text, "%s\u2019s %s draws %s to %s", w->org, noun, w->group,
                 PICK(r, ACCENTED));
        break;
    case TS_DOUBLE_FOLDED:
        snprintf(text, sizeof text, "\u2018%s\u2019 in %s: what the %s plan means for %s \u2013 %s",
                 noun, PICK(r, ACCENTED), w->adj, w->group, dom->site);
        break;
    default:
        break;
    }
    buf_puts(b, "  title:");
    switch (style) {
    case TS_PLAIN:
        buf_puts(b, " ");
        if (plain_safe(text))
            yaml_folded(b, text, 0, 9, 1000, "    ");
        else
            yaml_folded(b, text, 1, 9, 1000, "    ");
        break;
    case TS_PLAIN_FOLDED:
        buf_puts(b, " ");
        yaml_folded(b, text, !plain_safe(text), 9, 60, "    ");
        break;
    case TS_SINGLE:
        buf_puts(b, " ");
        yaml_folded(b, text, 1, 9, 1000, "    ");
        break;
    case TS_SINGLE_FOLDED:
        buf_puts(b, " ");
        yaml_folded(b, text, 1, 9, 50, "    ");
        break;
    case TS_DOUBLE:
        buf_puts(b, " ");
        yaml_double(b, text, 9, 1000, "    ");
        break;
    case TS_DOUBLE_FOLDED:
        buf_puts(b, " ");
        yaml_double(b, text, 9, 50, "    ");
        break;
    case TS_NULL:
        buf_puts(b, " null");
        break;
    case TS_TILDE:
        buf_puts(b, " ~");
        break;
    default: /* TS_EMPTY: nothing after the colon */
        break;
    }
    buf_puts(b, "\n");
}

struct gen {
    const char *out;
    long count;
    uint64_t seed;
    int64_t start_day;
    struct buf file;
    struct buf path;
    /* slugs and ids written so far (hashes, open addressing): slugs stay unique
     * except the deliberate shared one, ids always */
    uint64_t *seen;
    size_t seen_cap;
    long written, extras;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* Records s in the set of names seen (kind tells slugs from ids apart); returns
 * 0 if it was new, -1 if it was already there. */
static int name_claim(struct gen *g, char kind, const char *s)
{
    uint64_t h = hash_str(s) * 31 + (uint64_t)kind;
    h = h ? h : 1;
    size_t mask = g->seen_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (g->seen[i] == h)
            return -1;
        if (g->seen[i] == 0) {
            g->seen[i] = h;
            return 0;
        }
    }
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp)
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Writes g->file to out/rel (creating folders), one write for the whole file. */
static int write_file(struct gen *g, const char *rel)
{
    g->path.len = 0;
    buf_printf(&g->path, "%s/%s", g->out, rel);
    char *slash = strrchr(g->path.p, '/');
    if (slash && slash > g->path.p + strlen(g->out)) {
        *slash = '\0';
        int rc = mkdirs(g->path.p);
        *slash = '/';
        if (rc != 0) {
            fprintf(stderr, "postd-gen: %s: %s\n", g->path.p, strerror(errno));
            return -1;
        }
    }
    int fd = open(g->path.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "postd-gen: %s: %s\n", g->path.p, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < g->file.len) {
        ssize_t w = write(fd, g->file.p + off, g->file.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            fprintf(stderr, "postd-gen: %s: %s\n", g->path.p, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "postd-gen: %s: %s\n", g->path.p, strerror(errno));
        return -1;
    }
    return 0;
}

/* What is special about post i (the cases ingest and the API must handle).
 * Indices are fixed so the default samples hold each case once; cases keyed
 * on i % k recur in larger runs. */
struct special {
    int unpublished, far_date, no_date, tie, future, dup_slug, unknown_keys;
    int categories, posts_folder, string_tags;
    const char *title; /* a fixed non-ASCII title */
    const char *slug;
};

static void special_of(long i, long n, struct special *s)
{
    memset(s, 0, sizeof *s);
    s->unpublished = i == 5;
    s->far_date = i == 9 || i == 140;
    s->no_date = i == 15;
    s->tie = i >= 40 && i < 46;
    s->future = n >= 10 && i >= n - 2;
    s->dup_slug = i == 30 || i == 90 || i == 150 || i == 200;
    s->unknown_keys = i % 19 == 13;
    s->categories = i % 11 == 4;
    s->posts_folder = i % 17 == 6 ? 1 : i % 29 == 3 ? 2 : i == 1 ? 3 : 0;
    s->string_tags = i == 22;
    if (i == 2) {
        s->title = "Café owners in Montréal test a four-day week";
        s->slug = "cafe-four-day-week";
    } else if (i == 7) {
        s->title = "The city’s night buses get a second life";
        s->slug = "night_buses_second_life";
    } else if (i == 12) {
        s->title = "日本 rail operators trial quieter overnight trains";
        s->slug = "japan-quiet-night-trains";
    }
    if (s->dup_slug) {
        s->title = "Weekly roundup: the stories that moved this week";
        s->slug = "weekly-roundup";
    }
}

static void slug_join(char *out, size_t cap, const char *a, const char *b, char sep)
{
    snprintf(out, cap, "%s_%s", a, b);
    for (char *p = out; *p; p++)
        if (*p == '_' || *p == '-')
            *p = sep;
}

static int gen_post(struct gen *g, long i, int64_t day, int secs, int tie_secs)
{
    struct rng r = {g->seed * 0x100000001b3ULL ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL)};
    struct special sp;
    special_of(i, g->count, &sp);
    struct words w;
    pick_words(&r, &w);
    const struct org *org = &PICK(&r, ORGS);
    const struct noun *noun = &PICK(&r, NOUNS);
    const struct place *place = &PICK(&r, PLACES);
    w.org = org->name;
    w.noun = noun->name;
    w.place = place->name;

    int64_t file_day = day;
    if (sp.future)
        file_day = days_from_civil(2099, i == g->count - 1 ? 1 : 6, i == g->count - 1 ? 1 : 15);
    int64_t date_day = sp.far_date ? file_day - 40 - (int64_t)rnd(&r, 200) : file_day;
    if (sp.tie)
        secs = tie_secs;
    int off = eastern_offset(date_day);

    /* file name */
    char slug[160], id[200];
    if (sp.slug)
        snprintf(slug, sizeof slug, "%s", sp.slug);
    else
        slug_join(slug, sizeof slug, org->slug, noun->slug, rnd(&r, 3) ? '_' : '-');
    if (!sp.slug && name_claim(g, 's', slug) != 0) {
        char base[160];
        char sep = strchr(slug, '_') ? '_' : '-';
        snprintf(base, sizeof base, "%s", slug);
        for (int k = 1;; k++) {
            if (k == 1)
                snprintf(slug, sizeof slug, "%.100s%c%s", base, sep, place->slug);
            else
                snprintf(slug, sizeof slug, "%.100s%c%s%c%d", base, sep, place->slug, sep, k);
            if (name_claim(g, 's', slug) == 0)
                break;
        }
    }
    int fy, fm, fd;
    civil_from_days(file_day, &fy, &fm, &fd);
    snprintf(id, sizeof id, "%04d-%02d-%02d-%s", fy, fm, fd, slug);
    /* only the shared slug can meet itself on one day (large runs) */
    for (int k = 2; name_claim(g, 'i', id) != 0; k++)
        snprintf(id, sizeof id, "%04d-%02d-%02d-%s-%d", fy, fm, fd, slug, k);

    /* title */
    char title[512];
    if (sp.title)
        snprintf(title, sizeof title, "%s", sp.title);
    else if (rnd(&r, 3) == 0)
        snprintf(title, sizeof title, "How will %s%s's %s %s shape the year for %s?",
                 strncmp(org->name, "The ", 4) ? "" : "the ",
                 org->name + (strncmp(org->name, "The ", 4) ? 0 : 4), w.adj, noun->name, w.group);
    else
        snprintf(title, sizeof title, "%s %s %s %s in %s", org->name, PICK(&r, VERBS), w.adj,
                 noun->name, place->name);
    if (title[0] >= 'a' && title[0] <= 'z')
        title[0] = (char)(title[0] - 'a' + 'A');

    int nine_keys = rnd(&r, 2) == 0;
    char img[37];
    uuid(&r, img);
    struct buf *b = &g->file;
    b->len = 0;

    buf_puts(b, "---\nlayout: post\ntitle:  ");
    yaml_double_raw(b, title);
    buf_puts(b, "\ndescription: ");
    struct buf desc = {0};
    paragraph(&desc, &r, &w, 1);
    if (rnd(&r, 4) == 0 && plain_safe(desc.p))
        buf_puts(b, desc.p);
    else
        yaml_double_raw(b, desc.p);
    free(desc.p);
    buf_puts(b, "\n");
    if (!sp.no_date) {
        int y, m, d;
        civil_from_days(date_day, &y, &m, &d);
        if (sp.future)
            secs = 8 * 3600 + (int)rnd(&r, 3600);
        buf_printf(b, "date:   %04d-%02d-%02d %02d:%02d:%02d -0%d00\n", y, m, d, secs / 3600,
                   secs / 60 % 60, secs % 60, -off);
    }
    if (nine_keys)
        buf_printf(b, "image: '/assets/%s/combined.jpg'\n", img);
    else
        buf_printf(b, "image: '/assets/%s.jpg'\n", img);
    buf_printf(b, "author: '%s'\n", PICK(&r, AUTHORS));

    /* carousel entries (9-key posts), chosen before the sources line */
    int n_car = nine_keys ? 2 + (int)rnd(&r, 5) : 0;
    const struct domain *doms[8];
    char links[8][256];
    for (int k = 0; k < n_car; k++) {
        doms[k] = &PICK(&r, DOMAINS);
        snprintf(links[k], sizeof links[k], "https://%s/%d/%02d/%s-%u", doms[k]->host, fy, fm,
                 noun->slug, rnd(&r, 90000) + 10000);
        for (char *p = links[k]; *p; p++)
            if (*p == '_')
                *p = '-';
    }
    if (nine_keys) {
        buf_puts(b, "sources:");
        for (int k = 0; k < n_car; k++)
            buf_printf(b, " %s", links[k]);
        if (rnd(&r, 3) == 0)
            buf_printf(b, " https://%s/archive/%s", PICK(&r, DOMAINS).host, noun->slug);
        buf_puts(b, "\n");
    }

    const char *tag = PICK(&r, TAGS);
    if (sp.string_tags)
        buf_puts(b, "tags: science climate\n");
    else if (rnd(&r, 5) == 0)
        buf_printf(b, "tags: [\"%s\", \"%s\"]\n", tag, PICK(&r, TAGS));
    else
        buf_printf(b, "tags: [\"%s\"]\n", tag);
    if (sp.categories) {
        if (i % 2)
            buf_printf(b, "categories: [%s, %s]\n", PICK(&r, CATEGORIES), PICK(&r, CATEGORIES));
        else
            buf_printf(b, "category: %s\n", PICK(&r, CATEGORIES));
    }
    if (sp.unpublished)
        buf_puts(b, "published: false\n");
    if (sp.unknown_keys) {
        switch (i % 3) {
        case 0:
            buf_puts(b, "featured: true\nrating: 4.5\n");
            break;
        case 1:
            buf_printf(b, "series: \"Field notes\"\nreviewed_by: [%s, %s]\nword_goal: 1,200\n",
                       AUTHORS[0], AUTHORS[2]);
            break;
        default:
            buf_puts(b, "meta:\n  lang: en\n  draft_of: 017\nupdated: 2023-10-01\n");
            break;
        }
    }

    if (nine_keys) {
        buf_puts(b, "carousel_sources:\n");
        for (int k = 0; k < n_car; k++) {
            buf_printf(b,
                       "- domain: %s\n  icon_path: /assets/%s/source%d_icon.jpg\n"
                       "  image_path: /assets/%s/source%d.jpg\n  link: %s\n",
                       doms[k]->host, img, k + 1, img, k + 1, links[k]);
            /* weights per style, most titles plain as in the real posts */
            static const unsigned weights[TS_COUNT] = {30, 15, 12, 8, 12, 10, 5, 4, 4};
            unsigned x = rnd(&r, 100), st = 0;
            while (x >= weights[st])
                x -= weights[st++];
            carousel_title(b, &r, (enum title_style)st, &w, doms[k]);
        }
        if (rnd(&r, 2))
            buf_puts(b, "\n");
    }
    buf_puts(b, "---\n\n");

    /* body: question sections, then the summary block */
    int n_q = 2 + (int)rnd(&r, 3), blank = (int)rnd(&r, 2);
    unsigned q0 = rnd(&r, ARRAY_LEN(QUESTIONS));
    for (int k = 0; k < n_q; k++) {
        buf_puts(b, "## ");
        expand(b, QUESTIONS[(q0 + (unsigned)k) % ARRAY_LEN(QUESTIONS)], &w);
        buf_puts(b, "\n");
        paragraph(b, &r, &w, 3 + (int)rnd(&r, 3));
        if (rnd(&r, 6) == 0) {
            buf_puts(b, "\n\n- ");
            paragraph(b, &r, &w, 1);
            buf_puts(b, "\n- **");
            buf_puts(b, w.org);
            buf_puts(b, "** keeps a public *timeline* of the work.");
        }
        buf_puts(b, blank ? "\n\n" : "\n");
    }
    buf_puts(b, "\n\n\n<details>\n");
    buf_puts(b, rnd(&r, 3) ? "  <summary>Full summary</summary>\n"
                           : "        <summary>Full summary</summary>\n");
    int n_p = 3 + (int)rnd(&r, 4);
    for (int k = 0; k < n_p; k++) {
        if (k > 0 && rnd(&r, 2))
            buf_printf(b, "<p>%s</p>\n", HEADINGS[(unsigned)k % ARRAY_LEN(HEADINGS)]);
        buf_puts(b, "<p>");
        paragraph(b, &r, &w, 2 + (int)rnd(&r, 3));
        buf_puts(b, "</p>\n");
    }
    buf_puts(b, "</details>\n");

    char rel[512];
    const char *ext = rnd(&r, 3) ? ".markdown" : ".md";
    switch (sp.posts_folder) {
    case 1:
        snprintf(rel, sizeof rel, "science/_posts/%s%s", id, ext);
        break;
    case 2:
        snprintf(rel, sizeof rel, "culture/arts/_posts/%s%s", id, ext);
        break;
    case 3:
        snprintf(rel, sizeof rel, "_posts/%s%s", id, ext);
        break;
    default:
        snprintf(rel, sizeof rel, "%s%s", id, ext);
        break;
    }
    if (write_file(g, rel) != 0)
        return -1;
    g->written++;
    return 0;
}

/* Files a posts folder may hold that are not posts: each must be skipped. */
static int gen_extras(struct gen *g)
{
    static const char *const names[] = {
        "_drafts/2023-08-20-unfinished-idea.md",
        ".2023-08-21-hidden-notes.md",
        "#2023-08-22-autosave.md#",
        "~2023-08-23-backup.md",
        "authors.yml",
        "science/notes.md",
    };
    for (size_t k = 0; k < ARRAY_LEN(names); k++) {
        g->file.len = 0;
        buf_printf(&g->file,
                   "---\nlayout: post\ntitle:  \"Not a post (%s)\"\n---\n\nThis file is not "
                   "a post and must be skipped.\n",
                   names[k]);
        if (write_file(g, names[k]) != 0)
            return -1;
        g->extras++;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: postd-gen [--count N] [--seed S] [--out DIR] [--start-date YYYY-MM-DD]\n"
               "Writes N sample posts (default 220, seed 1, start 2023-08-12, out samples/posts)\n"
               "deterministically into DIR.\n");
}

static int parse_long(const char *s, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < min)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct gen g = {.out = "samples/posts", .count = 220, .seed = 1};
    int sy = 2023, sm = 8, sd = 12;
    int rc = 1;
    for (int a = 1; a < argc; a++) {
        const char *opt = argv[a];
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (a + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        const char *val = argv[++a];
        long v;
        if (strcmp(opt, "--count") == 0 && parse_long(val, 1, &v) == 0) {
            g.count = v;
        } else if (strcmp(opt, "--seed") == 0 && parse_long(val, 0, &v) == 0) {
            g.seed = (uint64_t)v;
        } else if (strcmp(opt, "--out") == 0) {
            g.out = val;
        } else if (strcmp(opt, "--start-date") == 0 &&
                   sscanf(val, "%4d-%2d-%2d", &sy, &sm, &sd) == 3 && sm >= 1 && sm <= 12 &&
                   sd >= 1 && sd <= 31 && sy >= 1970 && sy < 2090) {
        } else {
            fprintf(stderr, "postd-gen: bad option or value: %s %s\n", opt, val);
            usage(stderr);
            return 2;
        }
    }
    g.start_day = days_from_civil(sy, sm, sd);
    g.seen_cap = 1024;
    while (g.seen_cap < (size_t)g.count * 4 + 64)
        g.seen_cap *= 2;
    g.seen = calloc(g.seen_cap, sizeof *g.seen);
    if (!g.seen || mkdirs(g.out) != 0) {
        fprintf(stderr, "postd-gen: %s: %s\n", g.out, g.seen ? strerror(errno) : "out of memory");
        goto out;
    }

    /* Posts per day grow with the count so that 100k posts span about two years. */
    struct rng days = {g.seed ^ 0xd1b54a32d192ed03ULL};
    long per_day_base = g.count / 700 > 1 ? g.count / 700 : 1;
    int64_t day = g.start_day;
    long left_today = per_day_base + (long)rnd(&days, (unsigned)per_day_base * 2 + 1);
    int tie_secs = 9 * 3600 + 30 * 60;
    for (long i = 0; i < g.count; i++) {
        struct special sp;
        special_of(i, g.count, &sp);
        /* the posts sharing a timestamp stay on one day */
        if (left_today <= 0 && !(sp.tie && i > 40)) {
            day++;
            left_today = per_day_base + (long)rnd(&days, (unsigned)per_day_base * 2 + 1);
        }
        left_today--;
        int secs = (int)rnd(&days, 86400);
        if (gen_post(&g, i, day, secs, tie_secs) != 0)
            goto out;
    }
    if (gen_extras(&g) != 0)
        goto out;
    fprintf(stderr, "postd-gen: wrote %ld posts and %ld files to skip into %s\n", g.written,
            g.extras, g.out);
    rc = 0;
out:
    free(g.seen);
    free(g.file.p);
    free(g.path.p);
    return rc;
}
