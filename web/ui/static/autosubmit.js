// Submits the form marked data-autosubmit once the page loads: the switch
// handoff posts its one-time token without a click, and a GET never changes
// state.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
});
