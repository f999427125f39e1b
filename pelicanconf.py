"""Site settings for Pelican.  Code lives in the ``microsite`` package; this file only configures."""

from microsite.theme_filters import FILTERS

SITENAME = "Regional Security Press Archive"
SITESUBTITLE = "Press coverage of regional security organisations and information-security policy"
AUTHOR = "Research team"
SITEURL = ""
RELATIVE_URLS = True  # every link relative: works from file:// and under a GitHub Pages sub-path

PATH = "content"
OUTPUT_PATH = "output"
THEME = "theme"
THEME_STATIC_DIR = "theme"
PAGE_PATHS = ["pages"]
ARTICLE_EXCLUDES = ["pages"]
STATIC_PATHS = ["images"]
IGNORE_FILES = [".*", "_*"]
# Rebuilds are incremental (microsite.plugins.speed): the output folder is kept, unchanged pages are not
# re-rendered, and files the build no longer produces are removed, so it always equals a clean build.
DELETE_OUTPUT_DIRECTORY = False
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
GZIP_CACHE = False  # gzip level 9 costs ~1 s per 1,000 articles on every build; the cache is ~10 kB an article
# Articles are kept from one build to the next by microsite.plugins.speed_read (its store); Pelican's own
# content caches (reader or generator level) are off: its reader cache kept every article it read itself
# (those edited since) for good, and was loaded and pickled whole on every build (90 MB at 10,000).
CONTENT_CACHING_LAYER = "microsite"
OUTPUT_RETENTION = [".git"]

TIMEZONE = "UTC"
DEFAULT_LANG = "en"
LOCALE = ("C.UTF-8", "C")
DEFAULT_DATE_FORMAT = "%-d %B %Y"
DEFAULT_DATE = "fs"  # undated articles are kept; citations/feeds recognise the stand-in (plugins/citations.py)
USE_FOLDER_AS_CATEGORY = False  # "articles" (the folder) is not a section
DEFAULT_CATEGORY = "Unsectioned"
DEFAULT_PAGINATION = 20
# Page 2+ of a listing goes in a folder named after it: Pelican's default "{name}{number}" makes
# page 2 of tag "topic 7" (tag/topic-72.html) collide with the page of tag "topic 72".
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page-{number}.html", "{base_name}/page-{number}.html"),
)
SUMMARY_MAX_LENGTH = 60
FORMATTED_FIELDS = []  # summaries in our front matter are plain text

TAXONOMY_FILE = str(__import__("pathlib").Path(__file__).resolve().parent / "taxonomy.yml")  # see README, tags

PLUGINS = [
    "microsite.plugins.reader",
    "microsite.plugins.tagslugs",  # canonical tag names (taxonomy.yml), one page and slug per tag
    "microsite.plugins.citations",  # "Cite this article", .bib/.ris/.csl.json per article
    "microsite.plugins.related",  # related articles, older/newer
    "microsite.plugins.timeline",  # coverage chart filter
    "microsite.plugins.sources",  # sources/<slug>.html and sources.html
    "microsite.plugins.feeds",  # Atom feeds (site, per tag) that work with relative URLs
    "microsite.plugins.search",  # offline search: split lunr index in output/search/
    "microsite.plugins.exports",  # corpus.csv/.jsonl/.bib/.ris/.csl.json, sitemap.xml
    "microsite.plugins.speed",  # parallel reads, linear taxonomy pages, incremental rendering
]

MARKDOWN = {
    "extensions": ["markdown.extensions.extra", "markdown.extensions.sane_lists"],
    "output_format": "html5",
}
# auto_reload off: templates do not change during a build, so no file check per include (~4% of rendering)
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "autoescape": True, "auto_reload": False}
JINJA_FILTERS = FILTERS

# URLs: plain .html files so the site opens from disk.
ARTICLE_URL = ARTICLE_SAVE_AS = "articles/{slug}.html"
ARTICLE_LANG_URL = ARTICLE_LANG_SAVE_AS = "articles/{slug}-{lang}.html"
DRAFT_URL = DRAFT_SAVE_AS = "drafts/{slug}.html"
DRAFT_LANG_URL = DRAFT_LANG_SAVE_AS = "drafts/{slug}-{lang}.html"
PAGE_URL = PAGE_SAVE_AS = "pages/{slug}.html"
PAGE_LANG_URL = PAGE_LANG_SAVE_AS = "pages/{slug}-{lang}.html"
TAG_URL = TAG_SAVE_AS = "tag/{slug}.html"
CATEGORY_URL = CATEGORY_SAVE_AS = "category/{slug}.html"
AUTHOR_URL = AUTHOR_SAVE_AS = "author/{slug}.html"
TAGS_SAVE_AS = "tags.html"
CATEGORIES_SAVE_AS = "categories.html"
AUTHORS_SAVE_AS = "authors.html"
ARCHIVES_SAVE_AS = "archives.html"
YEAR_ARCHIVE_URL = YEAR_ARCHIVE_SAVE_AS = "archives/{date:%Y}.html"
MONTH_ARCHIVE_URL = MONTH_ARCHIVE_SAVE_AS = "archives/{date:%Y}-{date:%m}.html"
DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "search"]

# Feeds need an absolute SITEURL; publishconf.py turns them on.
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
