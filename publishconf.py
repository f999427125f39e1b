"""Settings for publishing (GitHub Pages): pelicanconf plus what a public site needs.

URLs stay relative, so the site works under a project sub-path
(``https://user.github.io/repo/``) as well as from disk.
"""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: F403

SITEURL = os.environ.get("SITEURL", "")
RELATIVE_URLS = True
CNAME = os.environ.get("CNAME", "")
