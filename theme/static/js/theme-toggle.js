// Light/dark theme: follows the system unless the reader chose, and remembers the choice.
// Loaded synchronously in <head> so the stored theme is applied before the first paint (no flash).
(function () {
  "use strict";
  var KEY = "microsite-theme";
  var root = document.documentElement;
  var NEXT = { auto: "light", light: "dark", dark: "auto" };
  var LABEL = { auto: "Theme: auto", light: "Theme: light", dark: "Theme: dark" };

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "auto";
    } catch (e) {
      return "auto"; // storage blocked (some file:// setups, private modes)
    }
  }

  function apply(choice) {
    if (choice === "auto") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", choice);
  }

  function save(choice) {
    try {
      if (choice === "auto") window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, choice);
    } catch (e) { /* the choice then lasts for this page only */ }
  }

  apply(stored());

  function setUp() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function show(choice) {
      button.textContent = LABEL[choice];
      button.setAttribute("title", "Colour theme (" + choice + "); click to switch to " + NEXT[choice]);
    }
    show(stored());
    button.hidden = false;
    button.addEventListener("click", function () {
      var choice = NEXT[stored()];
      save(choice);
      apply(choice);
      show(choice);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
