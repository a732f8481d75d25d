// The query page: CodeMirror on the query textarea, examples that load into it, Ctrl-Enter to run.
// Everything works without this script too (a plain textarea and links).
(function () {
  "use strict";
  var textarea = document.getElementById("query");
  var form = document.getElementById("query-form");
  if (!textarea || !form) return;

  var editor = null;
  if (window.CodeMirror) {
    editor = window.CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query",
      lineNumbers: true,
      indentUnit: 2,
      viewportMargin: Infinity,
      extraKeys: {
        "Ctrl-Enter": function () { submit(); },
        "Cmd-Enter": function () { submit(); }
      }
    });
    window.sparqlEditor = editor;
  }

  function text() { return editor ? editor.getValue() : textarea.value; }

  // The position an error names ("error at 3:12" from the parser, "line 3, column 12" from the
  // gate), 1-based; null when it names none.
  function errorPosition() {
    var box = document.getElementById("error");
    if (!box) return null;
    var message = box.textContent;
    var m = /error at (\d+):(\d+)/.exec(message) || /line (\d+), column (\d+)/.exec(message);
    return m ? { line: parseInt(m[1], 10), column: parseInt(m[2], 10) } : null;
  }

  // Mark the error's position in the editor: the line, and the character the parser stopped at.
  function markError() {
    var at = errorPosition();
    if (!at) return;
    var line = Math.min(Math.max(at.line - 1, 0), (editor ? editor.lineCount() : 1) - 1);
    if (editor) {
      var length = editor.getLine(line).length;
      var ch = Math.min(Math.max(at.column - 1, 0), length);
      var from = { line: line, ch: Math.max(Math.min(ch, length - 1), 0) };
      var to = { line: line, ch: Math.min(from.ch + 1, length) };
      if (to.ch === from.ch) to = { line: line, ch: length };
      window.sparqlErrorMark = editor.markText(from, to, { className: "cm-error-mark", title: "the error is here" });
      editor.addLineClass(line, "background", "error-line");
      editor.setCursor({ line: line, ch: ch });
      editor.focus();
    }
  }

  // After "Run query" the answer is right under the editor: when its summary (row count, time) is
  // below the fold, scroll until it sits at 40 % of the window, the end of the editor still above it.
  function showResults() {
    var results = document.getElementById("results");
    if (!results) return;
    var top = results.getBoundingClientRect().top;
    if (top > window.innerHeight * 0.6) window.scrollBy(0, top - window.innerHeight * 0.4);
  }

  function submit() {
    if (editor) editor.save();
    // Long queries go in a POST body: URLs have length limits.
    form.method = encodeURIComponent(text()).length > 6000 ? "post" : "get";
    form.submit();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  markError();
  showResults();

  Array.prototype.forEach.call(document.querySelectorAll("a.example[data-query]"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var query = link.getAttribute("data-query");
      if (editor) { editor.setValue(query); editor.focus(); } else { textarea.value = query; }
      document.getElementById("format").value = "html";
      window.scrollTo(0, 0);
    });
  });
})();
