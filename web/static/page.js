// Optional: everything works without it. Opens every disclosure for printing, then restores them.
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"), function (d) {
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();

// Optional: in the workbench, clicking a problem's line puts the editor's cursor on that line.
document.addEventListener("click", function (event) {
  var row = event.target.closest ? event.target.closest("tr[id^='L']") : null;
  var editor = document.getElementById("text");
  if (!row || !editor) { return; }
  var line = parseInt(row.id.slice(1), 10);
  var offset = 0;
  for (var n = 1; n < line; n++) {
    var next = editor.value.indexOf("\n", offset);
    if (next < 0) { break; }
    offset = next + 1;
  }
  editor.focus();
  editor.setSelectionRange(offset, offset);
  var lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 18;
  editor.scrollTop = Math.max(0, (line - 5) * lineHeight);
});
