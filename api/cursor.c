/* Keyset cursors: the position after the last row of a page (sort key and id,
 * as the store's keyset query needs them) packed in a small binary record and
 * base64url-encoded. The record carries a hash of the route, filters and sort
 * it was made for, so reusing it with other ones is refused, and a CRC-32 of
 * the record, so a damaged or edited cursor is refused rather than walking from
 * some arbitrary place. Not a secret: a client that forges a valid cursor only
 * gets a page starting where it asked.
 *
 * Layout (little endian): version u8, sort u8, filter hash u64, num i64,
 * score f64 bits, id length u16, text length u16 (0xffff: no text), id, text,
 * crc32 of all of the above. */
#include "api_cursor.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "status.h"

#define VERSION 1
#define HEAD_LEN 30
#define NO_TEXT 0xffffu
#define MAX_STR 4096

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static unsigned get_u16(const unsigned char *p)
{
    return p[0] | (unsigned)p[1] << 8;
}

int api_cursor_encode(const struct store_key *key, int sort, uint64_t fh, char **out)
{
    *out = NULL;
    if (!key || !key->set || !key->id)
        return ST_INVALID;
    size_t id_len = strlen(key->id);
    size_t text_len = key->text ? strlen(key->text) : 0;
    if (id_len == 0 || id_len > MAX_STR || text_len > MAX_STR)
        return ST_INVALID;
    size_t n = HEAD_LEN + id_len + text_len + 4;
    unsigned char *raw = malloc(n);
    char *enc = malloc((n * 4 + 2) / 3 + 1);
    if (!raw || !enc) {
        free(raw);
        free(enc);
        return ST_NOMEM;
    }
    uint64_t score_bits;
    memcpy(&score_bits, &key->score, sizeof(score_bits));
    raw[0] = VERSION;
    raw[1] = (unsigned char)sort;
    put_u64(raw + 2, fh);
    put_u64(raw + 10, (uint64_t)key->num);
    put_u64(raw + 18, score_bits);
    put_u16(raw + 26, (unsigned)id_len);
    put_u16(raw + 28, key->text ? (unsigned)text_len : NO_TEXT);
    memcpy(raw + HEAD_LEN, key->id, id_len);
    if (text_len)
        memcpy(raw + HEAD_LEN + id_len, key->text, text_len);
    uint32_t crc = (uint32_t)crc32(0L, raw, (uInt)(n - 4));
    for (int i = 0; i < 4; i++)
        raw[n - 4 + i] = (unsigned char)(crc >> (8 * i));

    size_t w = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= raw[i + 2];
        enc[w++] = b64[(v >> 18) & 63];
        enc[w++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            enc[w++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            enc[w++] = b64[v & 63];
    }
    enc[w] = '\0';
    free(raw);
    *out = enc;
    return 0;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* base64url without padding; the unused low bits of the last digit must be 0
 * so that every record has exactly one spelling. */
static unsigned char *b64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    if (n % 4 == 1)
        return NULL;
    unsigned char *raw = malloc(n * 3 / 4 + 3);
    if (!raw)
        return NULL;
    size_t w = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(raw);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[w++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        free(raw);
        return NULL;
    }
    *out_len = w;
    return raw;
}

int api_cursor_decode(const char *s, int sort, uint64_t fh, struct api_cursor *out,
                      const char **why)
{
    static const char malformed[] = "is not a cursor this API issued (malformed or damaged)";
    size_t n = 0;
    unsigned char *raw = NULL;
    int rc = ST_INVALID;

    memset(out, 0, sizeof(*out));
    *why = malformed;
    if (strlen(s) > (MAX_STR * 2 + HEAD_LEN + 4) * 4 / 3 + 4)
        return ST_INVALID;
    raw = b64_decode(s, &n);
    if (!raw || n < HEAD_LEN + 1 + 4)
        goto out;
    uint32_t crc = 0;
    for (int i = 0; i < 4; i++)
        crc |= (uint32_t)raw[n - 4 + i] << (8 * i);
    if (crc != (uint32_t)crc32(0L, raw, (uInt)(n - 4)))
        goto out;
    if (raw[0] != VERSION) {
        *why = "was issued by another version of this API; start again without it";
        goto out;
    }
    size_t id_len = get_u16(raw + 26);
    unsigned text_field = get_u16(raw + 28);
    size_t text_len = text_field == NO_TEXT ? 0 : text_field;
    if (id_len == 0 || HEAD_LEN + id_len + text_len + 4 != n ||
        memchr(raw + HEAD_LEN, 0, id_len + text_len))
        goto out;
    if (raw[1] != (unsigned char)sort || get_u64(raw + 2) != fh) {
        *why = "was made for other filters or another sort; start again without it";
        goto out;
    }
    out->sort = sort;
    out->key.set = 1;
    out->key.num = (int64_t)get_u64(raw + 10);
    uint64_t score_bits = get_u64(raw + 18);
    memcpy(&out->key.score, &score_bits, sizeof(score_bits));
    out->key.id = strndup((const char *)raw + HEAD_LEN, id_len);
    if (text_field != NO_TEXT)
        out->key.text = strndup((const char *)raw + HEAD_LEN + id_len, text_len);
    if (!out->key.id || (text_field != NO_TEXT && !out->key.text)) {
        api_cursor_clear(out);
        rc = ST_NOMEM;
        goto out;
    }
    *why = NULL;
    rc = 0;
out:
    free(raw);
    return rc;
}

void api_cursor_clear(struct api_cursor *c)
{
    if (!c)
        return;
    free(c->key.id);
    free(c->key.text);
    memset(c, 0, sizeof(*c));
}
