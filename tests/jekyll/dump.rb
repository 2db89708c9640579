# frozen_string_literal: true

# What Jekyll 4.3 makes of a postd posts folder: one JSON object per file that
# Jekyll's post reader picks up, as JSON lines on stdout, sorted by path. The
# reference half of the differential test (compare.rb is the other half).
#
# Usage: ruby dump.rb POSTS_DIR [--tz-offset SECONDS] [--permalink STYLE]
#
# A postd posts folder holds posts at any depth, with `<cat>/_posts/` folders for
# categories. Jekyll reads posts only from `<dir>/_posts/`, so a throwaway site is
# built in a temp dir: a file whose path has a `_posts` part keeps its path, any
# other file goes under the site's `_posts/` (where sub folders are not
# categories, as in postd). Then Jekyll::Site#reset and #read run: no render, no
# write. Jekyll's own reading is untouched; three hooks only watch it:
#  - Utils.safe_load_yaml: a deep copy of what Psych returned, before Jekyll
#    merges it into data (merging splits `categories` strings, adds the folder
#    categories and parses `date`), so front_matter is the YAML as Psych read it;
#  - Document#handle_read_error: the error Jekyll logs (and then publishes the
#    post with whatever data it had: "jekyll_error");
#  - Document#read: an exception that escapes Jekyll (e.g. InvalidDateError,
#    which would abort the whole site) ends that file only ("status": "error").
# Values without a JSON twin are written as postd writes them in front_matter
# (storage/frontmatter.c): Date "YYYY-MM-DD", Time RFC 3339 keeping its offset
# ("Z" for a UTC Time), +-Infinity/NaN ".inf"/"-.inf"/".nan". A timestamp
# written without a zone is the one local Time Psych makes (Time.at of the
# instant read as UTC): its zone is only this process's TZ, so it is written
# as that UTC instant with "Z", postd's form for it.
require "json"
require "fileutils"
require "tmpdir"
require "time"
require "date"
require "jekyll"

module PostdDump
  # Ruby value -> JSON value, postd's conventions for Date, Time and floats.
  def self.plain(v)
    case v
    when Hash then v.each_with_object({}) { |(k, x), h| h[key(k)] = plain(x) }
    when Array then v.map { |x| plain(x) }
    when Time then rfc3339(v)
    when Date then v.strftime("%Y-%m-%d")
    when Float
      if v.nan? then ".nan"
      elsif v.infinite? then v.positive? ? ".inf" : "-.inf"
      else v
      end
    when String, Integer, true, false, nil then v
    else { "$ruby" => "#{v.class}: #{v.inspect}" } # anything else shows up as a difference
    end
  end

  # Non-string keys as Ruby prints them (frontmatter.c does the same).
  def self.key(k)
    case k
    when String then k
    when Time then rfc3339(k)
    when Date then k.strftime("%Y-%m-%d")
    else k.to_s
    end
  end

  # The fraction is written exactly (Psych keeps it as a Rational), trailing zeros dropped.
  def self.rfc3339(t)
    t = t.getutc if no_zone?(t)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    frac = t.subsec
    if frac != 0
      digits = +""
      while frac != 0 && digits.size < 30
        frac *= 10
        digits << frac.floor.to_s
        frac -= frac.floor
      end
      s << "." << digits
    end
    s << (t.utc? ? "Z" : t.strftime("%:z"))
  end

  # Psych makes a fixed-offset Time (zone nil) for "+hh:mm", a UTC Time for "Z",
  # and a local Time (zone from TZ) only when no zone was written.
  def self.no_zone?(t)
    t.is_a?(Time) && !t.utc? && !t.zone.nil?
  end

  # POSIX TZ for a fixed offset east of UTC (POSIX counts west: the sign flips).
  def self.posix_tz(off)
    return "UTC" if off.zero?

    a = off.abs
    name = format("%s%02d%02d", off.positive? ? "+" : "-", a / 3600, a / 60 % 60)
    format("<%s>%s%02d:%02d:%02d", name, off.positive? ? "-" : "+", a / 3600, a / 60 % 60, a % 60)
  end

  module CaptureYaml
    def safe_load_yaml(yaml)
      r = super
      Thread.current[:postd_fm] = Marshal.load(Marshal.dump(r))
      r
    end
  end

  module CaptureDoc
    attr_reader :postd_raw_fm, :postd_read_error, :postd_fatal

    def read(opts = {})
      Thread.current[:postd_fm] = :none
      (PostdDump.docs ||= []) << self
      super
    rescue StandardError => e
      @postd_fatal = "#{e.class}: #{e.message}"
    ensure
      @postd_raw_fm = Thread.current[:postd_fm]
    end

    private

    def handle_read_error(error)
      @postd_read_error = "#{error.class}: #{error.message}"
      super
    end
  end

  class << self
    attr_accessor :docs
  end

  # Copies the postd folder into a Jekyll site; returns {site relative path => postd path}.
  def self.build_site(posts_dir, site)
    map = {}
    Dir.glob("**/*", File::FNM_DOTMATCH, base: posts_dir).sort.each do |rel|
      src = File.join(posts_dir, rel)
      next unless File.file?(src)

      dst = rel.split("/").include?("_posts") ? rel : File.join("_posts", rel)
      if map.key?(dst)
        warn "dump.rb: #{rel} and #{map[dst]} both land on #{dst}; #{rel} left out"
        next
      end
      map[dst] = rel
      FileUtils.mkdir_p(File.dirname(File.join(site, dst)))
      FileUtils.cp(src, File.join(site, dst))
    end
    map
  end

  def self.run(argv)
    posts_dir = nil
    tz = 0
    permalink = nil
    until argv.empty?
      a = argv.shift
      case a
      when "--tz-offset" then tz = Integer(argv.shift)
      when "--permalink" then permalink = argv.shift
      else posts_dir = a
      end
    end
    abort "usage: dump.rb POSTS_DIR [--tz-offset SECONDS] [--permalink STYLE]" unless posts_dir
    posts_dir = File.expand_path(posts_dir)
    abort "dump.rb: #{posts_dir}: not a folder" unless File.directory?(posts_dir)

    Jekyll::Utils.singleton_class.prepend(CaptureYaml)
    Jekyll::Document.prepend(CaptureDoc)
    Jekyll.logger.log_level = :error
    $stderr.reopen(File::NULL) if ENV["POSTD_JEKYLL_QUIET"] # Jekyll logs every bad file

    Dir.mktmpdir("postd-jekyll-") do |site_dir|
      map = build_site(posts_dir, site_dir)
      # Without --permalink: postd's default pattern (storage/parse.c), which is
      # not Jekyll's default ("date" has :categories and :title).
      config = { "timezone" => posix_tz(tz), "future" => true, "show_drafts" => false,
                 "unpublished" => false,
                 "permalink" => permalink || "/:year/:month/:day/:slug.html",
                 "disable_disk_cache" => true, "quiet" => true }
      File.write(File.join(site_dir, "_config.yml"), JSON.generate(config)) # JSON is YAML
      site = Jekyll::Site.new(Jekyll.configuration(
                                "source" => site_dir, "destination" => File.join(site_dir, "_site"),
                                "quiet" => true
                              ))
      site.reset
      site.read
      published = site.posts.docs.to_h { |d| [d.relative_path, true] }
      rows = (docs || []).map { |d| row(d, map, published) }
      rows.sort_by { |r| r["path"] }.each { |r| puts JSON.generate(r) }
    end
  end

  def self.row(doc, map, published)
    rel = doc.relative_path
    r = { "path" => map.fetch(rel, rel), "site_path" => rel }
    if doc.postd_fatal
      r["status"] = "error"
      r["error"] = doc.postd_fatal
      return r
    end
    raw = doc.postd_raw_fm
    r["has_front_matter"] = raw != :none
    raw = nil if raw == :none
    unless published[rel]
      r["status"] = "skip"
      r["reason"] = if raw.is_a?(Hash) && raw.key?("published") && raw["published"] == false
                      "published: false"
                    elsif doc.content.nil? then "no content"
                    elsif !doc.content.valid_encoding? then "invalid UTF-8"
                    else "not published"
                    end
      return r
    end
    r["status"] = "ok"
    r["jekyll_error"] = doc.postd_read_error if doc.postd_read_error
    data = doc.data
    m = Jekyll::Document::DATE_FILENAME_MATCHER.match(rel)
    r["id"] = doc.basename_without_ext
    r["slug"] = plain(data["slug"])
    r["file_slug"] = m && m[2].sub(/\.*\z/, "")
    r["title"] = plain(data["title"])
    r["title_s"] = data["title"].to_s
    r["slug_title"] = r["file_slug"] && Jekyll::Utils.titleize_slug(r["file_slug"])
    r["date_utc"] = doc.date.to_i
    r["date_offset"] = doc.date.utc_offset
    r["written_offset"] = written_offset(raw, m, doc)
    r["date_no_zone"] = true if raw.is_a?(Hash) && no_zone?(raw["date"])
    r["tags"] = Array(data["tags"]).map(&:to_s)
    r["categories"] = Array(data["categories"]).map(&:to_s)
    r["categories_clean"] = clean_categories(Array(data["categories"]))
    begin
      r["url"] = doc.url
    rescue StandardError => e
      r["url_error"] = "#{e.class}: #{e.message}"
    end
    r["front_matter"] = plain(raw)
    r["injected"] = data.keys.reject { |k| raw.is_a?(Hash) && raw.key?(k) }
    r
  end

  # data["categories"] without the leftovers of populate_categories, which
  # stringifies before it flattens and then merges that list back into the raw
  # one with Array#|: [2023, nil, [y]] ends as [2023, nil, [y], "2023", "", "[\"y\"]"].
  # Dropped: nils, the "" of a nil, the to_s of a nested list; then flattened,
  # stringified, repeats removed. What is left is what Jekyll means.
  def self.clean_categories(cats)
    arrays = cats.grep(Array).map(&:to_s)
    had_nil = cats.include?(nil)
    cats.compact
        .reject { |c| c.is_a?(String) && (arrays.include?(c) || (had_nil && c.empty?)) }
        .flatten.compact.map(&:to_s).uniq
  end

  # Jekyll keeps only the instant (Utils.parse_date ends in #localtime); the
  # offset as written is what Time.parse made of the same string before that.
  def self.written_offset(raw, match, doc)
    v = raw.is_a?(Hash) ? raw["date"] : nil
    input = v ? v.to_s : match && match[1]
    input ? Time.parse(input).utc_offset : doc.date.utc_offset
  rescue ArgumentError
    nil
  end
end

PostdDump.run(ARGV.dup) if $PROGRAM_NAME == __FILE__
