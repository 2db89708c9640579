# frozen_string_literal: true

# The Jekyll differential test: runs dump.rb (Jekyll 4.3's reader) and
# dump_postd (post_parse) over the same posts folder and compares them file by
# file: status (post / skipped / rejected), id, slug, date instant and offset,
# title, tags, categories, URL and every front-matter value (typed: a string is
# not a number, 1 is not 1.0). Prints every difference, then
# "N passed, M failed"; exits 0 when nothing failed, 1 otherwise.
#
#   ruby compare.rb --postd DUMP_POSTD --folder DIR [--tz-offset S] [--permalink P]
#   ruby compare.rb --postd DUMP_POSTD --fixtures DIR
#
# --fixtures takes tests/fixtures/posts: every case folder holds one input file
# next to expected.json / error.txt / opts.json. Cases are grouped by opts.json
# (each group is one Jekyll site with that timezone and permalink); a case's
# file goes to <case>/<file>, or keeps its path when it has a `_posts` part
# (folder categories). Error cases are kept: postd rejecting them is compared
# with what Jekyll does, through the EXPECTED rules below.
#
# Where postd differs from Jekyll on purpose (INGEST.md: "where Jekyll accepts
# something broken silently, postd rejects it loudly"; the choices listed at the
# top of storage/parse.c; post.h), the difference is an EXPECTED one: printed
# with its reason, not a failure. Each rule is narrow (a status pair plus the
# postd message or the Jekyll fact behind it), so anything else still fails.
require "json"
require "open3"
require "tmpdir"
require "fileutils"

HERE = File.expand_path(__dir__)
INT64 = (-(2**63)..(2**63) - 1).freeze

# postd rejects, Jekyll publishes: [postd error pattern, reason].
STRICTER = [
  [/tags: must be a list or a string, not a mapping|categories: must be a list or a string, not a mapping/,
   "a tags/categories mapping: Jekyll drops it silently, postd rejects (INGEST.md Fields)"],
  [/(tags|categories|tag|category): must be a list or a string, not (a number|a boolean|a date|a timestamp)/,
   "a number/true/date/timestamp where a list is expected: Jekyll drops it (or fails on it), " \
   "postd rejects (parse.c)"],
  [/(tags|categories|tag|category): list item \d+ is a mapping/,
   "a mapping inside tags/categories: Jekyll keeps the Hash as a tag, postd rejects (parse.c)"],
  [/^\d+:\d+: (title|layout|description|image|author): /,
   "a list/mapping where postd needs a string: Jekyll keeps it, postd rejects (parse.c)"],
  [/^\d+:\d+: (sources|carousel_sources): /,
   "postd's own fields have a shape (INGEST.md Fields); Jekyll does not read them"],
  [/^\d+:\d+: date: cannot parse/,
   "postd reads the ISO 8601 / YAML timestamp forms only (parse.c parse_date_string); " \
   "Jekyll's Time.parse guesses any date"],
  [/front matter must be one document/,
   "a second YAML document: Psych drops it, postd rejects (frontmatter.c)"]
].freeze

def expected_reject(j, pd)
  if j["jekyll_error"]
    return "Jekyll logs \"#{j['jekyll_error'].gsub(/\s+/, ' ')[0, 80]}\" and publishes the post " \
           "without its data; " \
           "postd rejects it (INGEST.md Front matter)"
  end
  if j["url_error"] && pd["error"] =~ /permalink: unknown placeholder/
    return "an unknown permalink placeholder: Jekyll fails only when writing, postd rejects " \
           "(parse.c)"
  end
  STRICTER.each { |re, why| return why if pd["error"] =~ re }
  nil
end

class Result
  attr_reader :failed_files, :passed, :expected

  def initialize(label)
    @label = label
    @passed = 0
    @failed_files = 0
    @expected = 0
    @n_ok = 0
  end

  # One file: fails is a list of messages, exp a list of expected-difference reasons.
  def file(name, fails, exp, both_ok)
    @n_ok += 1 if both_ok
    exp.each { |e| puts "expected #{name}: #{e}" }
    @expected += exp.size
    if fails.empty?
      @passed += 1
    else
      @failed_files += 1
      fails.each { |f| puts "FAIL #{name}: #{f}" }
    end
  end

  def summary
    puts "jekyll_diff #{@label}: #{@n_ok} posts read by both and compared field by field, " \
         "#{@expected} expected differences"
    puts "#{@passed} passed, #{@failed_files} failed"
  end
end

def show(v)
  JSON.generate(v, quirks_mode: true)
rescue StandardError
  v.inspect
end

# Typed deep comparison; big integers postd keeps as written (frontmatter.c).
def diff_value(path, j, pd, out)
  if j.is_a?(Hash) && pd.is_a?(Hash)
    (j.keys | pd.keys).each do |k|
      if !j.key?(k) then out << "#{path}.#{k}: missing in Jekyll, postd #{show(pd[k])}"
      elsif !pd.key?(k) then out << "#{path}.#{k}: Jekyll #{show(j[k])}, missing in postd"
      else diff_value("#{path}.#{k}", j[k], pd[k], out)
      end
    end
  elsif j.is_a?(Array) && pd.is_a?(Array)
    if j.size != pd.size
      out << "#{path}: Jekyll #{show(j)} (#{j.size} items), postd #{show(pd)} (#{pd.size} items)"
    else
      j.each_index { |i| diff_value("#{path}[#{i}]", j[i], pd[i], out) }
    end
  elsif j.is_a?(Integer) && !INT64.cover?(j) && pd.is_a?(String) && pd.delete(",_") =~ /\A[-+]?\d+\z/ &&
        Integer(pd.delete(",_"), 10) == j
    nil # beyond int64: postd keeps the digits as written
  elsif j.class != pd.class || j != pd
    out << "#{path}: Jekyll #{show(j)}, postd #{show(pd)}"
  end
end

# Both read it as a post: the fields.
def compare_post(j, pd, fails, exp)
  fm = j["front_matter"].is_a?(Hash) ? j["front_matter"] : {}
  fails << "id: Jekyll #{show(j['id'])}, postd #{show(pd['id'])}" if j["id"] != pd["id"]

  # Jekyll's data["slug"] is a front-matter `slug` when there is one; postd.slug
  # is always the file-name slug (post.h), the front-matter value stays in
  # front_matter and feeds :slug in URLs.
  if fm["slug"] && j["slug"] != j["file_slug"]
    exp << "front-matter slug #{show(fm['slug'])}: Jekyll's slug is it, postd's slug is the file " \
           "name's (post.h)"
    want = j["file_slug"]
  else
    want = j["slug"]
  end
  fails << "slug: Jekyll #{show(want)}, postd #{show(pd['slug'])}" if want != pd["slug"]

  if j["date_utc"] != pd["date_utc"]
    fails << "date instant: Jekyll #{j['date_utc']} (#{Time.at(j['date_utc']).utc}), postd " \
             "#{pd['date_utc']} (#{pd['date']})"
  end
  # Jekyll keeps only the instant (Utils.parse_date ends in #localtime, so its
  # offset is always the site's); postd keeps the offset as written (INGEST.md
  # Fields), which is what Time.parse read before localtime: written_offset.
  if j["date_no_zone"] && pd["date_offset"].zero? && j["written_offset"] != 0
    # Psych reads a zoneless timestamp as UTC (the instant matched above) and
    # Jekyll shows it in the site zone; postd keeps it in UTC (INGEST.md: no zone → UTC).
    exp << "a date timestamp without zone: Jekyll shows it at the site offset " \
           "#{j['written_offset']}, postd at UTC (INGEST.md)"
  elsif j["written_offset"] != pd["date_offset"]
    fails << "date offset: Jekyll read #{show(j['written_offset'])}, postd #{pd['date_offset']}"
  end

  # postd's title is a string; Jekyll keeps the YAML scalar, which Liquid prints with to_s.
  if j["title"] == "" && pd["title"] == j["slug_title"]
    # INGEST.md Fields, the contract: a missing, null, empty or false title is
    # made from the slug. Jekyll 4.3 keeps "" (data["title"] ||= replaces only
    # nil and false); the contract wins.
    exp << "title \"\": Jekyll keeps it empty, postd makes #{show(pd['title'])} from the slug " \
           "(INGEST.md Fields, the contract, says empty -> slug title)"
  elsif j["title_s"] != pd["title"]
    fails << "title: Jekyll #{show(j['title_s'])}, postd #{show(pd['title'])}"
  end

  # Jekyll's tags keep duplicates (populate_tags has no uniq); postd de-duplicates (parse.c).
  jt = j["tags"]
  if jt.uniq != jt
    exp << "tags #{show(jt)}: Jekyll keeps duplicates, postd de-duplicates (parse.c)"
    jt = jt.uniq
  end
  fails << "tags: Jekyll #{show(jt)}, postd #{show(pd['tags'])}" if jt != pd["tags"]
  if j["categories"] != pd["categories"] && j["categories_clean"] == pd["categories"]
    exp << "categories #{show(j['categories'])}: Jekyll merges its stringified list back into the " \
           "raw one (populate_categories), postd keeps each item once, nulls dropped (parse.c)"
  elsif j["categories"] != pd["categories"]
    fails << "categories: Jekyll #{show(j['categories'])}, postd #{show(pd['categories'])}"
  end
  fails << "url: Jekyll #{show(j['url'])}, postd #{show(pd['url'])}" if j.key?("url") && j["url"] != pd["url"]

  fdiff = []
  diff_value("front_matter", j["front_matter"] || {}, pd["front_matter"], fdiff)
  fails.concat(fdiff)
end

# One path, whatever each side made of it.
def compare_file(j, pd, fails, exp, dup_ids)
  js = j ? j["status"] : "absent"
  ps = pd ? pd["status"] : "absent"
  if pd && pd["duplicate_of"] && dup_ids
    exp << "same id as #{pd['duplicate_of']}: Jekyll reads both, postd's ingest rejects the second " \
           "(ingest.c); parsed here anyway"
  end
  case [js, ps]
  when %w[ok ok]
    compare_post(j, pd, fails, exp)
  when %w[ok error]
    why = expected_reject(j, pd)
    if why
      exp << "#{why} [postd: #{pd['error']}]"
    else
      fails << "Jekyll publishes it, postd rejects it: #{pd['error']}"
    end
  when %w[ok skip]
    fails << "Jekyll publishes it, postd skips it"
  when %w[ok absent]
    parts = j["path"].split("/")
    if parts[0..-2].any? { |p| p.start_with?(".", "_", "#", "~") && p != "_posts" }
      exp << "a folder named with . _ # ~ inside the path: postd skips it (INGEST.md Files), " \
             "Jekyll checks only the first and last parts"
    elsif j["path"].end_with?(".yml")
      exp << ".yml file: postd skips it (INGEST.md Files), Jekyll reads it as data"
    else
      fails << "Jekyll publishes it, postd does not see it"
    end
  when %w[skip error], %w[absent error]
    if j && j["reason"] == "invalid UTF-8" && pd["error"] =~ /invalid UTF-8/
      exp << "invalid UTF-8: Jekyll skips the file silently, postd rejects it (INGEST.md Front matter)"
    else
      fails << "Jekyll #{js == 'skip' ? "skips it (#{j['reason']})" : 'does not see it'}, " \
               "postd rejects it: #{pd['error']}"
    end
  when %w[error error], %w[skip skip], %w[skip absent], %w[absent skip], %w[absent absent]
    nil # both leave it out
  when %w[error ok], %w[error skip], %w[error absent]
    fails << "Jekyll fails on it (#{j['error'].gsub(/\s+/, ' ')}), postd #{ps == 'ok' ? 'publishes' : 'skips'} it"
  else # [skip|absent, ok]
    fails << "postd publishes it, Jekyll #{js == 'skip' ? "skips it (#{j['reason']})" : 'does not'}"
  end
end

def run_capture(*cmd)
  out, err, st = Open3.capture3(*cmd)
  abort "compare.rb: #{cmd.join(' ')} failed (#{st.exitstatus}):\n#{err}" unless st.success?
  out.lines.map { |l| JSON.parse(l) }.to_h { |r| [r["path"], r] }
end

# Runs both sides over dir (in threads: each side is its own process); returns
# [jekyll rows, postd rows], each {path => row}.
def dump_both(postd, dir, tz, permalink)
  extra = []
  extra += ["--tz-offset", tz.to_s] if tz
  extra += ["--permalink", permalink] if permalink
  jk = Thread.new do
    run_capture({ "POSTD_JEKYLL_QUIET" => "1" }, RbConfig.ruby, File.join(HERE, "dump.rb"), dir, *extra)
  end
  pd = Thread.new { run_capture(postd, dir, *extra) }
  [jk.value, pd.value]
end

# names maps a path to what is printed (fixture case). Assembled fixtures
# repeat file names on purpose: when names is given, ids are not checked.
def compare_rows(res, jk, pd, names = nil)
  (jk.keys | pd.keys).sort.each do |path|
    fails = []
    exp = []
    compare_file(jk[path], pd[path], fails, exp, names.nil?)
    res.file((names || {}).fetch(path, path), fails, exp,
             jk.dig(path, "status") == "ok" && pd.dig(path, "status") == "ok")
  end
end

def fixtures(res, postd, root)
  groups = Hash.new { |h, k| h[k] = [] }
  Dir.children(root).sort.each do |c|
    dir = File.join(root, c)
    next unless File.directory?(dir)

    opts = File.exist?(File.join(dir, "opts.json")) ? JSON.parse(File.read(File.join(dir, "opts.json"))) : {}
    groups[[opts["tz_offset"] || 0, opts["permalink"]]] << c
  end
  Dir.mktmpdir("postd-jekyll-fixtures-") do |tmp|
    groups.each_with_index do |((tz, permalink), cases), gi|
      posts = File.join(tmp, "g#{gi}")
      names = {}
      cases.each do |c|
        base = File.join(root, c)
        Dir.glob("**/*", File::FNM_DOTMATCH, base: base).sort.each do |rel|
          next if %w[expected.json error.txt opts.json].include?(rel) || !File.file?(File.join(base, rel))

          dst = rel.split("/").include?("_posts") ? rel : File.join(c, rel)
          abort "compare.rb: two fixtures land on #{dst}" if names.key?(dst)
          names[dst] = "#{c}/#{rel}"
          FileUtils.mkdir_p(File.dirname(File.join(posts, dst)))
          FileUtils.cp(File.join(base, rel), File.join(posts, dst))
        end
      end
      compare_rows(res, *dump_both(postd, posts, tz, permalink), names)
    end
  end
end

def main(argv)
  postd = folder = fix = permalink = nil
  tz = nil
  until argv.empty?
    case (a = argv.shift)
    when "--postd" then postd = argv.shift
    when "--folder" then folder = argv.shift
    when "--fixtures" then fix = argv.shift
    when "--tz-offset" then tz = Integer(argv.shift)
    when "--permalink" then permalink = argv.shift
    else abort "compare.rb: unknown argument #{a}"
    end
  end
  abort "usage: compare.rb --postd BIN (--folder DIR | --fixtures DIR)" unless postd && (folder || fix)
  res = Result.new(fix ? "fixtures" : File.basename(File.expand_path(folder)))
  if fix
    fixtures(res, postd, File.expand_path(fix))
  else
    compare_rows(res, *dump_both(postd, File.expand_path(folder), tz, permalink))
  end
  res.summary
  exit(res.failed_files.zero? ? 0 : 1)
end

main(ARGV.dup)
