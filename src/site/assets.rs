//! The site's style sheet and search script: files of the site, no
//! network.

/// `style.css`.
pub(super) const STYLE: &str = r#"body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d1d1f; }
nav { padding: .5em 1em; background: #2b2f36; }
nav a { color: #fff; text-decoration: none; font-weight: 600; }
main { max-width: 60em; margin: 0 auto; padding: 1em; }
pre { background: #f4f4f6; padding: .6em; overflow-x: auto; }
code { font-family: ui-monospace, monospace; font-size: .92em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d0d7; padding: .2em .5em; vertical-align: top; }
.case-panel { border-left: 4px solid #5b7bd5; padding: .3em .8em; margin: 1em 0 2em; background: #fafbff; overflow-x: auto; }
.case-meta { color: #555; margin: .2em 0; }
.st-passed { background: #e3f6e5; }
.st-failed, .st-changed, .st-xpass { background: #fbe1e1; }
.st-xfail, .st-flaky { background: #fff3d6; }
.st-skipped { color: #777; }
.diagram .lane { stroke: #b9bdc9; stroke-dasharray: 4 3; }
.diagram .lane-name { font: 600 13px system-ui, sans-serif; }
.diagram .event circle { fill: #5b7bd5; }
.diagram .error circle { fill: #c62828; }
.diagram text { font: 12px ui-monospace, monospace; }
.diagram .wait { stroke: #888; stroke-dasharray: 3 2; }
.diagram .action line { stroke: #2b2f36; }
.diagram .action text { fill: #2b2f36; font-size: 11px; }
.diagram .pause text { fill: #777; font-style: italic; }
.diagram .arrowhead { fill: #888; }
.count { color: #777; font-size: .9em; }
.tally td, .tally th { text-align: right; }
.tally td:first-child { text-align: left; }
.tally .total { font-weight: 600; }
.items { width: 100%; }
.items td:first-child { width: 55%; }
.item-id { color: #555; font-size: .85em; }
.prio { display: inline-block; min-width: 2.2em; font-size: .8em; font-weight: 600; text-align: center; border-radius: 3px; color: #fff; }
.prio-p0 { background: #2e7d32; }
.prio-p1 { background: #5b7bd5; }
.prio-p2 { background: #8e8e99; }
.none { color: #9a4b00; }
.note { color: #555; font-size: .9em; margin-top: .2em; }
#search { width: 100%; font-size: 1.1em; padding: .3em; }
#results li { margin: .3em 0; }
"#;

/// `search.js` after the index (`window.NODECOMPAT_SEARCH`): every word
/// of the query in a case's title, prose, actions, event names or the
/// catalogue items it covers.
pub(super) const SEARCH_JS: &str = r#"(function () {
  var input = document.getElementById('search');
  var out = document.getElementById('results');
  if (!input || !out) return;
  function show() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    out.textContent = '';
    if (!words.length) return;
    var hits = window.NODECOMPAT_SEARCH.filter(function (c) {
      var text = (c.id + ' ' + c.title + ' ' + c.prose + ' ' + c.actions + ' ' + c.events + ' ' + c.covers).toLowerCase();
      return words.every(function (w) { return text.indexOf(w) >= 0; });
    }).slice(0, 100);
    hits.forEach(function (c) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = c.url;
      a.textContent = c.title;
      var id = document.createElement('code');
      id.textContent = ' ' + c.id;
      li.appendChild(a);
      li.appendChild(id);
      out.appendChild(li);
    });
  }
  input.addEventListener('input', show);
  // `index.html?q=words` opens with that search.
  var q = new URLSearchParams(window.location.search).get('q');
  if (q) input.value = q;
  show();
})();
"#;
