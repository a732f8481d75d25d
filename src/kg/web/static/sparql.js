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
