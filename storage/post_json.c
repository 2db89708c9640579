/* The JSON shapes of a post (API.md §2): the full post and the card that list
 * endpoints show. Keys are inserted in contract order, so dumping with
 * JSON_PRESERVE_ORDER gives the documented layout; absent values are null. */
#include "post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steals v; returns -1 when v is NULL (an allocation failed) or setting fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        return -1;
    return json_object_set_new(obj, key, v);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new(a, str_or_null(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *date_json(int64_t utc, int offset, int as_utc)
{
    char buf[32];
    post_format_date(utc, as_utc ? 0 : offset, 1, buf);
    return json_string(buf);
}

static json_t *sources_json(const struct post *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n_sources; i++) {
        json_t *o = json_object();
        if (!o || put(o, "url", str_or_null(p->sources[i].url)) ||
            put(o, "domain", str_or_null(p->sources[i].domain)) || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *carousel_json(const struct post *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n_carousel; i++) {
        const struct post_carousel *c = &p->carousel[i];
        json_t *o = json_object();
        if (!o || put(o, "domain", str_or_null(c->domain)) ||
            put(o, "link", str_or_null(c->link)) || put(o, "title", str_or_null(c->title)) ||
            put(o, "icon_path", str_or_null(c->icon_path)) ||
            put(o, "image_path", str_or_null(c->image_path)) || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *questions_json(const struct post *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n_questions; i++) {
        const struct post_question *q = &p->questions[i];
        json_t *o = json_object();
        if (!o || put(o, "question", str_or_null(q->question)) ||
            put(o, "answer_html", str_or_null(q->answer_html)) ||
            put(o, "answer_text", str_or_null(q->answer_text)) || json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *front_matter_json(const struct post *p)
{
    if (!p->front_matter_json)
        return json_object();
    json_t *fm = json_loads(p->front_matter_json, JSON_DECODE_ANY, NULL);
    if (!fm || !json_is_object(fm)) {
        json_decref(fm);
        return json_object();
    }
    return fm;
}

/* Percent-encodes everything outside RFC 3986 "unreserved", so an id is one
 * path segment whatever it contains. */
static json_t *self_link(const char *id)
{
    static const char prefix[] = "/v1/posts/";
    size_t n = id ? strlen(id) : 0;
    char *buf = malloc(sizeof(prefix) + 3 * n);
    if (!buf)
        return NULL;
    char *w = buf + sprintf(buf, "%s", prefix);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            *w++ = (char)c;
        else
            w += sprintf(w, "%%%02X", c);
    }
    *w = '\0';
    json_t *s = json_string(buf);
    free(buf);
    return s;
}

json_t *post_to_json(const struct post *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (put(o, "id", str_or_null(p->id)) || put(o, "slug", str_or_null(p->slug)) ||
        put(o, "url", str_or_null(p->url)) || put(o, "path", str_or_null(p->path)) ||
        put(o, "layout", str_or_null(p->layout)) || put(o, "title", str_or_null(p->title)) ||
        put(o, "description", str_or_null(p->description)) ||
        put(o, "date", date_json(p->date_utc, p->date_offset, 0)) ||
        put(o, "date_utc", date_json(p->date_utc, 0, 1)) ||
        put(o, "author", str_or_null(p->author)) || put(o, "image", str_or_null(p->image)) ||
        put(o, "categories", strv(p->categories, p->n_categories)) ||
        put(o, "tags", strv(p->tags, p->n_tags)) || put(o, "sources", sources_json(p)) ||
        put(o, "carousel", carousel_json(p)) || put(o, "domains", strv(p->domains, p->n_domains)) ||
        put(o, "questions", questions_json(p)) ||
        put(o, "summary_html", str_or_null(p->summary_html)) ||
        put(o, "summary_text", str_or_null(p->summary_text)) ||
        put(o, "body_html", str_or_null(p->body_html)) ||
        put(o, "excerpt_html", str_or_null(p->excerpt_html)) ||
        put(o, "word_count", json_integer(p->word_count)) ||
        put(o, "reading_minutes", json_integer(p->reading_minutes)) ||
        put(o, "front_matter", front_matter_json(p)) ||
        put(o, "updated_at", p->updated_at ? date_json(p->updated_at, 0, 1) : json_null())) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *post_card_to_json(const struct post *p)
{
    json_t *o = json_object();
    json_t *links = json_object();
    if (!o || !links)
        goto fail;
    if (put(links, "self", self_link(p->id)))
        goto fail;
    if (put(o, "id", str_or_null(p->id)) || put(o, "slug", str_or_null(p->slug)) ||
        put(o, "url", str_or_null(p->url)) || put(o, "title", str_or_null(p->title)) ||
        put(o, "description", str_or_null(p->description)) ||
        put(o, "date", date_json(p->date_utc, p->date_offset, 0)) ||
        put(o, "date_utc", date_json(p->date_utc, 0, 1)) ||
        put(o, "author", str_or_null(p->author)) || put(o, "image", str_or_null(p->image)) ||
        put(o, "tags", strv(p->tags, p->n_tags)) ||
        put(o, "domains", strv(p->domains, p->n_domains)))
        goto fail;
    if (put(o, "links", links)) {
        links = NULL; /* stolen even on failure */
        goto fail;
    }
    return o;
fail:
    json_decref(links);
    json_decref(o);
    return NULL;
}
