// Search page: lunr.js over the split index in search/ (see microsite/search/payload.py).
//
// Nothing is fetched: every piece of data is a <script> assigning into
// window.__micrositeSearch, so the page works from file://, a zip or any
// sub-path.  A query loads only the term shards it needs, rebuilds a small
// lunr.Index from them and lets lunr's own Index.search score it, so results
// equal those of one unsplit index (microsite/search/split.py is the same
// algorithm in Python; the tests compare both with the unsplit index).
// Results are built with DOM methods and textContent only.
(function () {
  "use strict";

  var G = (window.__micrositeSearch = window.__micrositeSearch || {});
  var root = document.getElementById("search");
  var statusBox = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var moreButton = document.getElementById("search-more");
  var filterForm = document.getElementById("search-filters");
  var facetBox = document.getElementById("search-facets");
  var clearButton = document.getElementById("search-clear-filters");
  var box = document.getElementById("site-search-q");
  if (!root || !list) return;

  var PAGE = 20;
  var SNIPPET_WORDS = 32;
  var FACETS = [
    { key: "tag", column: "tags", title: "Tag" },
    { key: "source", column: "source", title: "Source" },
    { key: "lang", column: "lang", title: "Language" },
    { key: "year", column: "year", title: "Year" }
  ];
  var LANGUAGE_NAMES = { en: "English", ru: "Russian" };
  var meta = G.meta;
  var dir = root.getAttribute("data-search-dir") || "search/";
  var base = root.getAttribute("data-base") || "";

  function say(text, kind) {
    statusBox.textContent = text;
    statusBox.className = "search-status" + (kind ? " search-" + kind : "");
  }

  if (!window.lunr || !lunr.multiLanguage || !meta) {
    say("Search is not available: its files are missing from this copy of the site (search/ folder).", "error");
    return;
  }

  // --- lunr set-up: the pipelines lunr-languages builds for English + Russian ---
  var builder = new lunr.Builder();
  builder.use(lunr.multiLanguage("en", "ru"));
  var indexPipeline = builder.pipeline;
  var searchPipeline = builder.searchPipeline;
  var fields = meta.fields;
  if (searchPipeline.toJSON().join() !== meta.searchPipeline.join() || lunr.version !== meta.version) {
    say("Search is not available: the index was built for another lunr set-up; rebuild the site.", "error");
    return;
  }
  var EMPTY = Object.freeze({});
  var wordChars = "\\w" + lunr.ru.wordCharacters + "0-9";
  var leadingJunk = new RegExp("^[^" + wordChars + "]+");
  var trailingJunk = new RegExp("[^" + wordChars + "]+$");

  // People type quotes, commas and "Note:" into search boxes.  lunr's search pipeline does not
  // trim punctuation, and reads "word:" as a field, so tidy each word's ends first, keeping
  // lunr's operators (+ - field: * ~N ^N) and a trailing "field:" (lunr explains that one).
  var looseStart = new RegExp("^[^" + wordChars + "*]+"), looseEnd = new RegExp("[^" + wordChars + "*]+$");
  function tidy(queryString) {
    return queryString.split(/\s+/).map(function (chunk) {
      var m = /^([+-]?)(?:([^:\s]+):)?(.*?)((?:[~^]\d*)*)$/.exec(chunk);
      var field = m[2] || "", core = m[3];
      if (field && fields.indexOf(field) === -1) { core = field + " " + core; field = ""; }
      core = core.split(" ").map(function (w) { return w.replace(looseStart, "").replace(looseEnd, ""); })
        .filter(Boolean).join(" ");
      if (!core) return field ? field + ":" : "";
      return m[1] + (field ? field + ":" : "") + core + m[4];
    }).filter(Boolean).join(" ");
  }

  // --- loading data scripts ---
  var loading = Object.create(null);
  function load(key, rel) {
    if (G[key] !== undefined) return Promise.resolve(G[key]);
    if (loading[key]) return loading[key];
    loading[key] = new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = dir + rel;
      el.async = true;
      el.onload = function () {
        if (G[key] !== undefined) resolve(G[key]);
        else reject(new Error("search data " + rel + " is damaged"));
      };
      el.onerror = function () {
        delete loading[key];
        reject(new Error("search data " + rel + " is missing"));
      };
      document.head.appendChild(el);
    });
    return loading[key];
  }

  var shardMaps = Object.create(null);
  function shard(k) {
    if (shardMaps[k]) return Promise.resolve(shardMaps[k]);
    return load("t" + k, "t/" + k + ".js").then(function (data) {
      // data[0]: [df, idf, df, idf, ...] for the terms of this shard; then one entry per term
      var map = Object.create(null), idf = Object.create(null), table = data[0], entries = data.slice(1);
      for (var i = 0; i < table.length; i += 2) idf[table[i]] = table[i + 1];
      for (i = 0; i < entries.length; i++) map[entries[i][0]] = entries[i];
      shardMaps[k] = { map: map, entries: entries, idf: idf };
      return shardMaps[k];
    });
  }
  function shardOf(term) {
    var bounds = meta.shards, lo = 0, hi = bounds.length - 1, found = 0;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (bounds[mid] <= term) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }
  var vocabSet = null;
  function vocabulary() {
    if (vocabSet) return Promise.resolve(vocabSet);
    return load("vocab", "vocab.js").then(function (words) {
      vocabSet = vocabSet || lunr.TokenSet.fromArray(words);
      return vocabSet;
    });
  }

  // The index terms one clause term can match; loads the shards holding them.
  function expand(clause, term) {
    var star = term.indexOf("*");
    if (!meta.shards.length) return Promise.resolve([]);
    if (!clause.editDistance && star === -1) {
      return shard(shardOf(term)).then(function (s) { return s.map[term] ? [term] : []; });
    }
    var pattern = lunr.TokenSet.fromClause(clause);
    if (!clause.editDistance && star > 0) {
      var prefix = term.slice(0, star), jobs = [];
      for (var k = shardOf(prefix); k <= shardOf(prefix + "\uffff"); k++) jobs.push(shard(k));
      return Promise.all(jobs).then(function (shards) {
        var words = [];
        shards.forEach(function (s) {
          s.entries.forEach(function (e) { if (e[0].lastIndexOf(prefix, 0) === 0) words.push(e[0]); });
        });
        return lunr.TokenSet.fromArray(words).intersect(pattern).toArray();
      });
    }
    return vocabulary().then(function (vocab) {
      var found = vocab.intersect(pattern).toArray();
      return Promise.all(found.map(function (w) { return shard(shardOf(w)); })).then(function () { return found; });
    });
  }

  // Parse (throws lunr.QueryParseError), then load what every clause can match.
  function termsFor(queryString) {
    var query = new lunr.Query(fields);
    new lunr.QueryParser(queryString, query).parse();
    var jobs = [];
    query.clauses.forEach(function (clause) {
      var terms = clause.usePipeline ? searchPipeline.runString(clause.term, { fields: clause.fields }) : [clause.term];
      terms.forEach(function (term) {
        var copy = Object.assign({}, clause, { term: term });
        jobs.push(expand(copy, term));
      });
    });
    return Promise.all(jobs).then(function (lists) {
      var seen = Object.create(null);
      lists.forEach(function (l) { l.forEach(function (t) { seen[t] = true; }); });
      return { terms: Object.keys(seen).sort(), negated: query.isNegated() };
    });
  }

  // --- scores: what lunr.py's Builder stores in its field vectors (microsite/search/builder.py) ---
  // Postings are strings of base-32 numbers (document gap, term frequency, ...); a digit from the
  // second half of the alphabet means more digits follow (microsite/search/payload.py).
  var ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var DIGITS = new Int8Array(128).fill(-1);
  for (var a = 0; a < ALPHABET.length; a++) DIGITS[ALPHABET.charCodeAt(a)] = a;
  function decodeNumbers(text) {
    var out = [], value = 0;
    for (var i = 0; i < text.length; i++) {
      var d = DIGITS[text.charCodeAt(i)];
      value = value * 32 + (d & 31);
      if (d < 32) { out.push(value); value = 0; }
    }
    return out;
  }
  // Python's round(x, 3): the nearest 3-decimal number (a tie to the even one), as a double.
  // toFixed picks the nearest decimal exactly but breaks ties upwards; x*1000 can only be a tie
  // when x is an odd number of sixteenths (exact in binary), handled apart.
  function round3(x) {
    var y = x * 1000, below = Math.floor(y);
    // Far from a half (the product's rounding error is ~1e-13): the nearest integer is the answer.
    if (y < 1e9 && Math.abs(y - below - 0.5) > 1e-6) return Math.round(y) / 1000;
    var sixteenths = x * 16;
    if (Math.floor(sixteenths) === sixteenths) {
      var k = Math.floor(sixteenths * 62.5);  // exact: x * 1000, rounded down
      if (sixteenths % 2 !== 0 && k % 2 !== 0) k += 1;
      return k / 1000;
    }
    return +x.toFixed(3);
  }
  var lengthColumns = null;
  function fieldLengths() {  // per field, per article: tokens lunr counted (decoded once)
    return lengthColumns || (lengthColumns = meta.docs.lengths.map(decodeNumbers));
  }
  var K1 = meta.k1, B = meta.b;
  // lunr.py's Builder._create_field_vectors: the same operations in the same order.
  function score(idf, tf, length, average, boost) {
    var norm = K1 * (1 - B + B * (length / average));
    var value = idf * ((K1 + 1) * tf) / (norm + tf);
    value *= boost;
    return round3(value);
  }

  // A lunr.Index with just these terms: postings plus the vector entries they touch.
  function indexFor(terms, negated) {
    var inverted = Object.create(null), entries = {}, f, n;
    if (negated) {
      for (n = 0; n < meta.count; n++) for (f = 0; f < fields.length; f++) entries[fields[f] + "/" + n] = [];
    }
    var lengths = fieldLengths(), averages = meta.averages, boosts = meta.boosts;
    terms.forEach(function (term) {
      var s = shardMaps[shardOf(term)], entry = s.map[term], lists = [], first = Infinity, firstField = 0, df = 0;
      for (f = 0; f < fields.length; f++) {
        lists.push(decodeNumbers(entry[2 + f]));
        if (lists[f].length && lists[f][0] < first) { first = lists[f][0]; firstField = f; }
        df += lists[f].length / 2;
      }
      // lunr numbers terms in order of first appearance: first document, field there, position in it
      var tid = (first * fields.length + firstField) * meta.positions + entry[1];
      var idf = s.idf[df], posting = { _index: tid };
      for (f = 0; f < fields.length; f++) {
        var flat = lists[f], docs = {}, doc = 0;
        for (var i = 0; i < flat.length; i += 2) {
          doc += flat[i];
          docs[doc] = EMPTY;
          var ref = fields[f] + "/" + doc;
          var value = score(idf, flat[i + 1], lengths[f][doc], averages[f], boosts[f]);
          (entries[ref] || (entries[ref] = [])).push([tid, value]);
        }
        posting[fields[f]] = docs;
      }
      inverted[term] = posting;
    });
    var vectors = {};
    Object.keys(entries).forEach(function (ref) {
      var pairs = entries[ref].sort(function (a, b) { return a[0] - b[0]; }), elements = [];
      for (var i = 0; i < pairs.length; i++) elements.push(pairs[i][0], pairs[i][1]);
      vectors[ref] = new lunr.Vector(elements);
    });
    return new lunr.Index({
      invertedIndex: inverted,
      fieldVectors: vectors,
      tokenSet: lunr.TokenSet.fromArray(terms),
      fields: fields,
      pipeline: searchPipeline
    });
  }

  function search(queryString) {
    return termsFor(queryString).then(function (found) {
      return indexFor(found.terms, found.negated).search(queryString);
    });
  }

  // --- highlighting ---
  var termCache = Object.create(null);
  function indexTerm(word) {
    var lower = word.toLowerCase();
    if (!(lower in termCache)) {
      var out = indexPipeline.run([new lunr.Token(lower, {})]);
      termCache[lower] = out.length ? out[0].toString() : null;
    }
    return termCache[lower];
  }
  function tokensOf(text) {
    var words = [], re = /[^\s\-]+/g, m;
    while ((m = re.exec(text))) words.push({ start: m.index, text: m[0] });
    return words;
  }
  // Appends text to el, each matched word (its letters, not the punctuation) in a <mark>.
  function appendMarked(el, text, words, matched, from, to) {
    var pos = from < words.length ? words[from].start : text.length;
    var end = to < words.length ? words[to].start : text.length;
    for (var i = from; i < to && i < words.length; i++) {
      var w = words[i], term = indexTerm(w.text);
      if (term === null || !term || !matched[term]) continue;
      var lead = (w.text.match(leadingJunk) || [""])[0].length;
      var trail = (w.text.slice(lead).match(trailingJunk) || [""])[0].length;
      var a = w.start + lead, b = w.start + w.text.length - trail;
      if (a >= b) continue;
      el.appendChild(document.createTextNode(text.slice(pos, a)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(a, b);
      el.appendChild(mark);
      pos = b;
    }
    el.appendChild(document.createTextNode(text.slice(pos, end).replace(/\s+$/, "")));
  }
  function markedText(el, text, matched) {
    var words = tokensOf(text);
    appendMarked(el, text, words, matched, 0, words.length);
  }
  function snippet(el, doc, matched) {
    var text = doc.text || doc.summary || "", words = tokensOf(text);
    var hits = words.map(function (w) { var t = indexTerm(w.text); return t && matched[t] ? t : null; });
    var best = 0, bestScore = -1;
    for (var s = 0; s < Math.max(1, words.length - SNIPPET_WORDS + 1); s++) {
      var distinct = Object.create(null), count = 0;
      for (var i = s; i < s + SNIPPET_WORDS && i < words.length; i++) {
        if (hits[i]) { count++; distinct[hits[i]] = true; }
      }
      var score = Object.keys(distinct).length * 100 + count;
      if (score > bestScore) { bestScore = score; best = s; }
    }
    var first = best;
    while (bestScore > 0 && !hits[first]) first++;
    var start = bestScore > 0 ? Math.max(0, first - 6) : 0, end = Math.min(words.length, start + SNIPPET_WORDS);
    if (start > 0) el.appendChild(document.createTextNode("… "));
    appendMarked(el, text, words, matched, start, end);
    if (end < words.length) el.appendChild(document.createTextNode(" …"));
  }

  // --- state: query and filters, kept in the URL ---
  function readState() {
    var params = new URLSearchParams(window.location.search);
    var state = { q: params.get("q") || "", from: params.get("from") || "", to: params.get("to") || "" };
    FACETS.forEach(function (f) { state[f.key] = params.getAll(f.key); });
    return state;
  }
  function writeState(state) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    FACETS.forEach(function (f) { state[f.key].forEach(function (v) { params.append(f.key, v); }); });
    if (state.from) params.set("from", state.from);
    if (state.to) params.set("to", state.to);
    var url = window.location.pathname + (params.toString() ? "?" + params.toString() : "");
    try { window.history.replaceState(null, "", url); } catch (e) { /* some file:// set-ups refuse; the page still works */ }
  }
  function hasFilters(state) {
    return Boolean(state.from || state.to || FACETS.some(function (f) { return state[f.key].length; }));
  }

  function valueOf(facet, n) {
    var d = meta.docs;
    if (facet.column === "year") return d.date[n] ? [String(Math.floor(d.date[n] / 10000))] : [];
    if (facet.column === "tags") return d.tags[n].map(function (i) { return meta.values.tags[i]; });
    var id = d[facet.column][n];
    return id >= 0 ? [meta.values[facet.column][id]] : [];
  }
  function dayOf(value) { return value ? parseInt(value.replace(/-/g, ""), 10) || 0 : 0; }
  function passes(state, n, skip) {
    var date = meta.docs.date[n];
    if (state.from && !(date && date >= dayOf(state.from))) return false;
    if (state.to && !(date && date <= dayOf(state.to))) return false;
    return FACETS.every(function (f) {
      if (f === skip || !state[f.key].length) return true;
      var values = valueOf(f, n);
      return state[f.key].some(function (v) { return values.indexOf(v) !== -1; });
    });
  }

  // --- rendering ---
  var current = { seq: 0, results: [], shown: 0, query: "" };
  var timing = {};  // milliseconds since navigation, for the benchmark
  var state = readState();

  // Loads the first page of articles, then swaps status, filters and results in one go.
  var renders = 0;
  function render() {
    var ticket = ++renders;
    var visible = current.results.filter(function (r) { return passes(state, +r.ref, null); });
    var slice = visible.slice(0, PAGE);
    return documents(slice).then(function (docs) {
      if (ticket !== renders) return;
      current.visible = visible;
      current.shown = slice.length;
      while (list.firstChild) list.removeChild(list.firstChild);
      renderFacets();
      var total = current.results.length, n = visible.length, q = current.query;
      var what = q ? " for “" + q + "”" : "";
      if (!q && !hasFilters(state)) {
        say(meta.count + " articles can be searched. Type a word in the search box.");
      } else if (n === 0) {
        noResults(total, q);
      } else if (n === total || !q) {
        say(n + (n === 1 ? " result" : " results") + what);
      } else {
        say(n + " of " + total + " results" + what + " (filtered)");
      }
      docs.forEach(function (doc, i) { list.appendChild(resultItem(doc, slice[i])); });
      moreButton.hidden = current.shown >= visible.length;
      if (q && !timing.firstResults) timing.firstResults = performance.now();
    }, failed);
  }

  function documents(results) {
    return Promise.all(results.map(function (r) { return load("d" + r.ref, "d/" + r.ref + ".js"); }));
  }

  function noResults(total, q) {
    say(total && hasFilters(state)
      ? "No results" + (q ? " for “" + q + "”" : "") + " with these filters; " + total + " without them."
      : "No articles match “" + q + "”.", "empty");
    var tips = document.createElement("li");
    tips.className = "search-tips";
    var p = document.createElement("p");
    p.textContent = "Suggestions:";
    tips.appendChild(p);
    var ul = document.createElement("ul");
    var lines = [];
    if (total && hasFilters(state)) lines.push("Clear the filters (button on the left) to see all " + total + " results.");
    lines.push("Check the spelling, or use fewer or more general words.");
    lines.push("Match the beginning of a word with *: secur* finds security, secure, securities.");
    lines.push("Allow a typo with ~1: sekurity~1 finds security.");
    lines.push("Search in the language of the articles: English and Russian are both indexed.");
    lines.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      ul.appendChild(li);
    });
    tips.appendChild(ul);
    list.appendChild(tips);
  }

  function showMore() {
    var ticket = renders, start = current.shown, slice = current.visible.slice(start, start + PAGE);
    return documents(slice).then(function (docs) {
      if (ticket !== renders) return;
      current.shown = start + slice.length;
      docs.forEach(function (doc, i) { list.appendChild(resultItem(doc, slice[i])); });
      moreButton.hidden = current.shown >= current.visible.length;
    }, failed);
  }

  function resultItem(doc, result) {
    var matched = Object.create(null);
    Object.keys((result.matchData && result.matchData.metadata) || {}).forEach(function (t) { matched[t] = true; });
    var li = document.createElement("li");
    li.className = "search-result";
    if (doc.lang) li.lang = doc.lang;
    var h = document.createElement("h2");
    var a = document.createElement("a");
    a.href = base + doc.url;
    markedText(a, doc.title, matched);
    h.appendChild(a);
    li.appendChild(h);
    var info = document.createElement("p");
    info.className = "meta";
    if (doc.date) {
      var time = document.createElement("time");
      time.dateTime = doc.date;
      time.textContent = doc.dateText || doc.date;
      info.appendChild(time);
    }
    if (doc.source) {
      var source = document.createElement("span");
      source.className = "meta-source";
      source.textContent = doc.source;
      info.appendChild(source);
    }
    if (doc.lang) {
      var lang = document.createElement("span");
      lang.className = "meta-lang";
      lang.textContent = LANGUAGE_NAMES[doc.lang] || doc.lang;
      info.appendChild(lang);
    }
    li.appendChild(info);
    var p = document.createElement("p");
    p.className = "snippet";
    snippet(p, doc, matched);
    li.appendChild(p);
    if (doc.tags && doc.tags.length) {
      var tags = document.createElement("ul");
      tags.className = "tag-list";
      tags.setAttribute("aria-label", "Tags");
      doc.tags.forEach(function (t, i) {
        var item = document.createElement("li"), url = (doc.tagUrls || [])[i];
        var label = item;
        if (url) {
          label = document.createElement("a");
          label.href = base + url;
          label.rel = "tag";
          item.appendChild(label);
        }
        label.textContent = t;
        tags.appendChild(item);
      });
      li.appendChild(tags);
    }
    return li;
  }

  function renderFacets() {
    while (facetBox.firstChild) facetBox.removeChild(facetBox.firstChild);
    var any = current.results.length > 0 || hasFilters(state);
    filterForm.hidden = !any;
    clearButton.hidden = !hasFilters(state);
    filterForm.elements.from.value = state.from;
    filterForm.elements.to.value = state.to;
    if (!any) return;
    FACETS.forEach(function (facet) {
      var counts = Object.create(null);
      current.results.forEach(function (r) {
        var n = +r.ref;
        if (!passes(state, n, facet)) return;
        valueOf(facet, n).forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
      });
      state[facet.key].forEach(function (v) { if (!(v in counts)) counts[v] = 0; });
      var values = Object.keys(counts).sort(function (a, b) {
        if (facet.key === "year") return b < a ? -1 : b > a ? 1 : 0;
        return counts[b] - counts[a] || a.localeCompare(b);
      });
      if (!values.length) return;
      var set = document.createElement("fieldset");
      set.className = "search-facet";
      set.setAttribute("data-facet", facet.key);
      var legend = document.createElement("legend");
      legend.textContent = facet.title;
      set.appendChild(legend);
      values.forEach(function (v, i) {
        var label = document.createElement("label");
        if (i >= 12 && state[facet.key].indexOf(v) === -1) label.className = "search-facet-extra";
        var input = document.createElement("input");
        input.type = "checkbox";
        input.name = facet.key;
        input.value = v;
        input.checked = state[facet.key].indexOf(v) !== -1;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + (facet.key === "lang" ? (LANGUAGE_NAMES[v] || v) : v) + " "));
        var count = document.createElement("span");
        count.className = "search-count";
        count.textContent = "(" + counts[v] + ")";
        label.appendChild(count);
        set.appendChild(label);
      });
      if (values.length > 12) {
        var toggle = document.createElement("button");
        toggle.type = "button";
        toggle.className = "search-facet-toggle";
        toggle.textContent = "Show all " + values.length;
        toggle.addEventListener("click", function () {
          set.classList.add("search-facet-open");
          toggle.remove();
        });
        set.appendChild(toggle);
      }
      facetBox.appendChild(set);
    });
  }

  function failed(error) {
    say("Search failed: " + (error && error.message ? error.message : error), "error");
  }

  function allDocuments() {
    var results = [];
    for (var n = 0; n < meta.count; n++) results.push({ ref: String(n), score: 0, matchData: null });
    return results.sort(function (a, b) { return meta.docs.date[+b.ref] - meta.docs.date[+a.ref]; });
  }

  function run(queryString) {
    var seq = ++current.seq, q = queryString.trim();
    state.q = q;
    writeState(state);
    if (!q) {
      current.query = "";
      current.results = hasFilters(state) ? allDocuments() : [];
      return render();
    }
    say("Searching…");
    var job;
    try {
      job = search(tidy(q));
    } catch (error) {
      job = Promise.reject(error);
    }
    return job.then(function (results) {
      if (seq !== current.seq) return;
      current.query = q;
      current.results = results;
      return render();
    }, function (error) {
      if (seq !== current.seq) return;
      renders++;  // drop any render still loading
      current.results = [];
      current.query = q;
      while (list.firstChild) list.removeChild(list.firstChild);
      renderFacets();
      if (error instanceof lunr.QueryParseError) {
        say("This search could not be read: " + error.message + ". A field name needs a word after it " +
          "(title:security); fields are " + fields.join(", ") + ". To search for a symbol such as : ^ ~ * + -, " +
          "leave it out.", "error");
      } else {
        failed(error);
      }
    });
  }

  // --- events ---
  var timer = null;
  if (box) {
    box.value = state.q;
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(box.value); }, 120);
    });
    if (box.form) {
      box.form.addEventListener("submit", function (event) {
        event.preventDefault();
        clearTimeout(timer);
        run(box.value);
      });
    }
    if (!state.q) box.focus();
  }
  filterForm.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "from" || input.name === "to") {
      state[input.name] = input.value;
    } else {
      var facet = FACETS.filter(function (f) { return f.key === input.name; })[0];
      if (!facet) return;
      state[facet.key] = state[facet.key].filter(function (v) { return v !== input.value; });
      if (input.checked) state[facet.key].push(input.value);
    }
    if (!current.query) run("");
    else { writeState(state); render(); }
  });
  filterForm.addEventListener("submit", function (event) { event.preventDefault(); });
  clearButton.addEventListener("click", function () {
    FACETS.forEach(function (f) { state[f.key] = []; });
    state.from = state.to = "";
    if (!current.query) run("");
    else { writeState(state); render(); }
  });
  moreButton.addEventListener("click", function () { showMore(); });

  // For tests and curious users: the same search without the page around it.
  window.micrositeSearch = {
    search: search,
    run: run,
    tidy: tidy,
    round3: round3,
    score: score,
    indexTerms: function (text) {
      return indexPipeline.run(lunr.tokenizer(text)).map(String);
    },
    timing: timing,
    ready: run(state.q)
  };
})();
