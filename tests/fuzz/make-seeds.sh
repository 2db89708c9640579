#!/usr/bin/env bash
# Rebuilds the generated part of the seed corpora in tests/fuzz/corpus/ from the
# test fixtures and a running postd (for real cursors). Inputs named regress-*
# are findings kept as regression inputs and are never touched.
#   usage: tests/fuzz/make-seeds.sh BUILD_DIR   (BUILD_DIR has a built postd)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:?usage: make-seeds.sh BUILD_DIR}"
postd="$build/postd"
corpus="$here/corpus"
mkdir -p "$corpus"/{post_parse,yaml,params,cursor}

# post_parse: every fixture post file; yaml: every YAML fixture and the front
# matter of every fixture post
for f in "$root"/tests/fixtures/posts/*/*.md "$root"/tests/fixtures/posts/*/*/*.md; do
  [ -f "$f" ] || continue
  name="$(basename "$(dirname "$f")")-$(basename "$f" .md)"
  cp "$f" "$corpus/post_parse/fixture-$name"
done
for f in "$root"/tests/fixtures/yaml/*/input.yaml; do
  cp "$f" "$corpus/yaml/fixture-$(basename "$(dirname "$f")")"
done

# params: request targets across every route and parameter of API.md, some with
# the Accept-Encoding / If-None-Match / Origin lines fuzz_params reads
i=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  i=$((i + 1))
  printf '%b' "$line" > "$corpus/params/seed-$(printf %03d $i)"
done <<'TARGETS'
/v1/posts
/v1/posts?limit=5&page=2
/v1/posts?tag=culture&tag=science&tag_all=culture&tag_not=sport
/v1/posts?domain=nytimes.com&domain_not=example.org&author=basil&category=news
/v1/posts?after=2023-01-01&before=2023-12-31T23:59:59Z
/v1/posts?after=2023-09-16T01:55:02-04:00
/v1/posts?q=north+korea&sort=relevance
/v1/posts?q=%22battery+plant%22+kor*
/v1/posts?sort=-date
/v1/posts?sort=title&limit=100
/v1/posts?sort=-title&fields=id,title,tags
/v1/posts?sort=-updated&include=questions,summary_html,body_html,carousel,sources,front_matter
/v1/posts?fields=id&include=body_html&limit=1
/v1/posts?cursor=AQDO9ZZPqtehkCMqYGUAAAAAAAAAAAAAAAAxAP__MjAyMy0xMS0yMy1hbGRlcl9mb3VuZGF0aW9uX2JhdHRlcnlfcGxhbnRfbmFpcm9iaQJnJP8
/v1/posts?limit=0
/v1/posts?page=1000001
/v1/posts?tag=%E2%9C%93&q=%C3%A9t%C3%A9
/v1/posts?tag=a%00b
/v1/posts/2023-09-16-putin-kim-summit
/v1/posts/putin-kim-summit
/v1/posts/no-such-post
/v1/tags
/v1/tags?sort=name&q=cu&limit=5&page=2
/v1/domains?sort=-count
/v1/authors?q=b
/v1/categories
/v1/tags/culture/posts?limit=3
/v1/domains/saltmarshradio.fm/posts?sort=date
/v1/authors/basil/posts?after=2023-06-01
/v1/categories/news/posts
/healthz
/readyz
/metrics
/v1/openapi.json
/v1/posts?limit=50\ngzip\n\nhttp://example.com
/v1/posts\ngzip;q=0, identity\n"abc", W/"def"\n*
/v1/tags\n\n*\nnull
http://example.com/v1/posts?limit=2#frag
TARGETS

# cursor: real cursors, one per parameter variant of fuzz_cursor.c (the first
# byte is the variant's index), from postd serving the bundled samples
tmp="$(mktemp -d /tmp/postd-seeds-XXXXXX)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
printf '# defaults\n' > "$tmp/empty.yaml"
"$postd" ingest --config "$tmp/empty.yaml" --db "$tmp/s.db" "$root/samples/posts" >/dev/null 2>&1 || true
"$postd" serve --config "$tmp/empty.yaml" --db "$tmp/s.db" --listen 127.0.0.1:0 2>"$tmp/err" >/dev/null &
pid=$!
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/.* on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/err")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "make-seeds: postd serve did not start" >&2; cat "$tmp/err" >&2; exit 1; }
variants=("" "sort=title" "sort=date&author=basil" "tag=culture" "sort=-updated" "q=the&sort=relevance")
for v in "${!variants[@]}"; do
  q="${variants[$v]}"
  url="http://127.0.0.1:$port/v1/posts?limit=2${q:+&$q}"
  byte="\\x$(printf %02x "$v")"
  c1="$(curl -sf "$url" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' || true)"
  [ -n "$c1" ] || { echo "make-seeds: no cursor for ${q:-no parameters}" >&2; exit 1; }
  { printf "$byte"; printf '%s' "$c1"; } > "$corpus/cursor/seed-$v-1"
  c2="$(curl -sf "$url&cursor=$c1" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' || true)"
  [ -z "$c2" ] || { printf "$byte"; printf '%s' "$c2"; } > "$corpus/cursor/seed-$v-2"
done
echo "make-seeds: $(find "$corpus" -type f | wc -l) seed files in $corpus"
